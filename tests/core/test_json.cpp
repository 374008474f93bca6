#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <typeinfo>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/data/schema.hpp"
#include "churn/features/pipeline.hpp"
#include "churn/linear/logistic.hpp"
#include "churn/model/churn_model.hpp"
#include "churn/monitor/baseline.hpp"
#include "churn/retention/buckets.hpp"
#include "churn/retention/rules.hpp"
#include "churn/segment/kmeans.hpp"
#include "churn/tree/forest.hpp"
#include "churn/tree/gbdt.hpp"
#include "common/json.hpp"

using churn::Json;

namespace fs = std::filesystem;

namespace {

Json good_envelope() {
  return churn::common::make_envelope("Thing", Json{{"alpha", 0.5}}, Json{{"weights", {1, 2, 3}}});
}

// Asserts that open_envelope(doc, "Thing") throws exactly SerializationError mentioning `needle`.
void expect_rejected(const Json& doc, const std::string& needle) {
  try {
    churn::common::open_envelope(doc, "Thing");
    BOOST_ERROR("open_envelope accepted a document; expected an error mentioning " << needle);
  } catch (const churn::Error& e) {
    BOOST_TEST((typeid(e) == typeid(churn::SerializationError)), e.what());
    BOOST_TEST(std::string(e.what()).find(needle) != std::string::npos, e.what());
  }
}

fs::path scratch_dir() {
  fs::path dir = fs::temp_directory_path() / "churn_test_json";
  fs::create_directories(dir);
  return dir;
}

std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(core_json)

BOOST_AUTO_TEST_CASE(envelope_has_the_documented_fields) {
  const Json doc = good_envelope();
  BOOST_TEST(doc["format"] == "churnlib");
  BOOST_TEST(doc["version"] == "1.0");
  BOOST_TEST(doc["kind"] == "Thing");
  BOOST_TEST(doc["params"]["alpha"] == 0.5);
  BOOST_TEST(doc["state"]["weights"].size() == 3u);
  BOOST_TEST(&churn::common::open_envelope(doc, "Thing") == &doc);
}

BOOST_AUTO_TEST_CASE(open_envelope_accepts_older_and_same_major_versions) {
  for (const char* v : {"1.0", "1.7", "0.3", "1"}) {
    Json doc = good_envelope();
    doc["version"] = v;
    BOOST_CHECK_NO_THROW(churn::common::open_envelope(doc, "Thing"));
  }
}

BOOST_AUTO_TEST_CASE(open_envelope_rejects_damaged_documents) {
  expect_rejected(Json::array({1, 2}), "not a churnlib file");
  expect_rejected(Json("text"), "not a churnlib file");

  Json wrong_format = good_envelope();
  wrong_format["format"] = "pickle";
  expect_rejected(wrong_format, "pickle");

  Json newer = good_envelope();
  newer["version"] = "2.0";
  expect_rejected(newer, "newer");

  for (const char* bad : {"x.1", "1a.0", "", ".5", "-1.0"}) {
    Json malformed = good_envelope();
    malformed["version"] = bad;
    expect_rejected(malformed, "malformed version");
  }
  Json numeric_version = good_envelope();
  numeric_version["version"] = 1.0;
  expect_rejected(numeric_version, "version");

  Json other_kind = churn::common::make_envelope("Other", Json::object(), Json::object());
  expect_rejected(other_kind, "'Other'");

  for (const char* field : {"format", "version", "kind", "params", "state"}) {
    Json missing = good_envelope();
    missing.erase(field);
    expect_rejected(missing, field);
  }
  Json bad_state = good_envelope();
  bad_state["state"] = Json::array();
  expect_rejected(bad_state, "state");
}

BOOST_AUTO_TEST_CASE(json_get_reads_typed_fields) {
  const Json obj = {{"n", 3}, {"s", "x"}};
  BOOST_TEST(churn::common::json_get<int>(obj, "n", "test") == 3);
  BOOST_TEST(churn::common::json_get<std::string>(obj, "s", "test") == "x");
  BOOST_CHECK_THROW(churn::common::json_get<int>(obj, "missing", "test"),
                    churn::SerializationError);
  BOOST_CHECK_THROW(churn::common::json_get<int>(obj, "s", "test"), churn::SerializationError);
  BOOST_CHECK_THROW(churn::common::json_get<int>(Json::array(), "n", "test"),
                    churn::SerializationError);
}

BOOST_AUTO_TEST_CASE(parse_json_errors_are_serialization_errors) {
  BOOST_TEST(churn::parse_json("{\"a\": [1, 2]}")["a"][1] == 2);
  BOOST_CHECK_THROW(churn::parse_json("{\"a\": [1, 2"), churn::SerializationError);
  BOOST_CHECK_THROW(churn::parse_json(""), churn::SerializationError);
  BOOST_CHECK_THROW(churn::parse_json("{\"a\": 1e999}"),
                    churn::SerializationError);  // out of range
}

BOOST_AUTO_TEST_CASE(save_then_load_round_trip) {
  const fs::path path = scratch_dir() / "round_trip.json";
  const Json doc = good_envelope();
  churn::save_json_file(doc, path.string());
  BOOST_TEST(churn::load_json_file(path.string()) == doc);
  churn::save_json_file(doc, path.string(), 2);  // overwrite, indented
  BOOST_TEST(churn::load_json_file(path.string()) == doc);
}

BOOST_AUTO_TEST_CASE(save_into_a_missing_folder_throws_and_leaves_nothing) {
  const fs::path dir = scratch_dir() / "atomic_case";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path target = dir / "no_such_folder" / "model.json";
  BOOST_CHECK_THROW(churn::save_json_file(good_envelope(), target.string()), churn::IOError);
  BOOST_TEST(!fs::exists(target));
  BOOST_TEST(!fs::exists(target.parent_path()));
  BOOST_TEST(files_in(dir) == 0u);
}

BOOST_AUTO_TEST_CASE(loading_truncated_or_missing_files) {
  const fs::path dir = scratch_dir();
  const fs::path path = dir / "truncated.json";
  const std::string text = good_envelope().dump();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text.substr(0, text.size() / 2);
  }
  BOOST_CHECK_THROW(churn::load_json_file(path.string()), churn::SerializationError);
  try {
    churn::load_json_file(path.string());
  } catch (const churn::SerializationError& e) {
    BOOST_TEST(std::string(e.what()).find("truncated.json") != std::string::npos, e.what());
  }
  const fs::path missing = dir / "does_not_exist.json";
  fs::remove(missing);
  BOOST_CHECK_THROW(churn::load_json_file(missing.string()), churn::IOError);
}

// ---- nesting depth (issue 19, finding 1) ---------------------------------------------------

namespace {

std::string nested(int depth, char open = '[', char close = ']') {
  return std::string(static_cast<std::size_t>(depth), open) +
         std::string(static_cast<std::size_t>(depth), close);
}

// An envelope of `kind` whose state member `member` holds `depth` nested lists.
std::string deep_envelope(const std::string& kind, const std::string& member, int depth) {
  return R"({"format": "churnlib", "version": "1.0", "kind": ")" + kind +
         R"(", "params": {}, "state": {")" + member + "\": " + nested(depth) + "}}";
}

void expect_too_deep(const std::function<void()>& f, const std::string& what) {
  try {
    f();
    BOOST_ERROR(what << ": accepted a document nested 200000 levels deep");
  } catch (const churn::SerializationError& e) {
    BOOST_TEST(std::string(e.what()).find("nest deeper than 256") != std::string::npos,
               what << ": " << e.what());
  } catch (const std::exception& e) {
    BOOST_ERROR(what << ": threw " << typeid(e).name() << " (" << e.what()
                     << "), not SerializationError");
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(parse_json_refuses_nesting_beyond_the_limit) {
  BOOST_TEST(churn::kMaxJsonDepth == 256);
  BOOST_CHECK_NO_THROW(churn::parse_json(nested(256)));
  std::string objects256;
  for (int i = 0; i < 256; ++i) objects256 += R"({"a":)";
  objects256 += "1" + std::string(256, '}');
  BOOST_CHECK_NO_THROW(churn::parse_json(objects256));
  BOOST_CHECK_THROW(churn::parse_json(nested(257)), churn::SerializationError);
  BOOST_CHECK_THROW(churn::parse_json(nested(200000)), churn::SerializationError);
  // objects count as levels; unbalanced text is refused before the parser sees it
  std::string objects;
  for (int i = 0; i < 300; ++i) objects += R"({"a":)";
  BOOST_CHECK_THROW(churn::parse_json(objects), churn::SerializationError);
  BOOST_CHECK_THROW(churn::parse_json(std::string(200000, '[')), churn::SerializationError);
  // brackets inside strings (escaped quotes too) are text, not levels
  const std::string in_string = "[\"" + std::string(1000, '[') + "\\\"" + "\"]";
  BOOST_TEST(churn::parse_json(in_string)[0].get<std::string>().size() == 1001u);
}

BOOST_AUTO_TEST_CASE(json_depth_scan_reports_the_offending_byte) {
  using churn::common::json_depth_exceeded_at;
  BOOST_TEST(json_depth_exceeded_at("[[1]]", 2) == std::string_view::npos);
  BOOST_TEST(json_depth_exceeded_at("[[1]]", 1) == 1u);
  BOOST_TEST(json_depth_exceeded_at(R"({"a": "[[[["})", 1) == std::string_view::npos);
  BOOST_TEST(json_depth_exceeded_at(R"(["\"", [[]]])", 2) == 8u);
}

BOOST_AUTO_TEST_CASE(every_loader_refuses_deep_nesting_without_a_crash) {
  const fs::path dir = scratch_dir();
  auto file_with = [&](const std::string& name, const std::string& text) {
    const std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  };
  constexpr int kDeep = 200000;  // about 400 KB: a stack overflow when built as a value
  using namespace churn;
  const auto gbdt = file_with("gbdt.json", deep_envelope("GBDTClassifier", "trees", kDeep));
  expect_too_deep([&] { tree::GBDTClassifier::load(gbdt); }, "GBDTClassifier::load");
  const auto forest =
      file_with("forest.json", deep_envelope("RandomForestClassifier", "trees", kDeep));
  expect_too_deep([&] { tree::RandomForestClassifier::load(forest); }, "RandomForest::load");
  // LR and K-means crashed even for an unknown member
  const auto lr = file_with("lr.json", deep_envelope("LogisticRegression", "unknown", kDeep));
  expect_too_deep([&] { linear::LogisticRegression::load(lr); }, "LogisticRegression::load");
  const auto km = file_with("km.json", deep_envelope("KMeans", "unknown", kDeep));
  expect_too_deep([&] { segment::KMeans::load(km); }, "KMeans::load");
  const auto bl = file_with("bl.json", deep_envelope("Baseline", "features", kDeep));
  expect_too_deep([&] { monitor::Baseline::load(bl); }, "Baseline::load");
  const auto pl = file_with("pl.json", deep_envelope("FeaturePipeline", "steps", kDeep));
  expect_too_deep([&] { features::Pipeline::load(pl); }, "Pipeline::load");
  const auto cm = file_with("cm.json", deep_envelope("ChurnModel", "model", kDeep));
  expect_too_deep([&] { model::ChurnModel::load(cm); }, "ChurnModel::load");
  const auto rs = file_with("rs.json", deep_envelope("RetentionRuleSet", "rules", kDeep));
  expect_too_deep([&] { retention::RuleSet::load(rs); }, "RuleSet::load");
  const auto rb = file_with("rb.json", deep_envelope("RiskBuckets", "edges", kDeep));
  expect_too_deep([&] { retention::RiskBuckets::load(rb); }, "RiskBuckets::load");
  const auto sc = file_with("schema.json", deep_envelope("Schema", "columns", kDeep));
  expect_too_deep([&] { data::Schema::load(sc); }, "Schema::load");
  expect_too_deep([&] { parse_json(nested(kDeep, '{', '}')); }, "parse_json of objects");
}

BOOST_AUTO_TEST_SUITE_END()
