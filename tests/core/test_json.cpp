#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
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

BOOST_AUTO_TEST_SUITE_END()
