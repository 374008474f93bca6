#include <boost/test/unit_test.hpp>

#include <sys/wait.h>  // waitpid, WIFEXITED
#include <unistd.h>    // fork, _exit

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/core/fileio.hpp"
#include "churn/core/json.hpp"
#include "churn/linear/logistic.hpp"
#include "churn/model/registry.hpp"
#include "common/sha256.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using churn::Json;
using churn::model::ModelRegistry;
using churn::model::ModelVersion;
using churn::model::Stage;
using churn::model::VersionSpec;
using churn_test::throws_with;

namespace {

/// A fresh, empty folder for one test.
std::string scratch(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("churn_test_registry_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  return dir.string();
}

/// A small churnlib envelope of kind `kind` with a payload.
Json doc(int payload, const std::string& kind = "Dummy", const std::string& version = "1.0") {
  return Json{{"format", "churnlib"},
              {"version", version},
              {"kind", kind},
              {"params", Json::object()},
              {"state", {{"payload", payload}}}};
}

/// Replaces bundle `file` of `root` by `text` and makes the index agree (size and SHA-256),
/// as a newer churnlib registering `text` would have written.
void replace_bundle(const std::string& root, const std::string& name, int version,
                    const std::string& text) {
  const std::string index_path = root + "/registry.json";
  Json index = churn::load_json_file(index_path);
  for (auto& v : index["state"]["models"][name]["versions"]) {
    if (v["version"] != version) continue;
    churn::write_file_atomic(root + "/" + v["file"].get<std::string>(), text);
    v["size"] = text.size();
    v["sha256"] = churn::common::sha256_hex(text);
  }
  churn::save_json_file(index, index_path);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(model_registry)

BOOST_AUTO_TEST_CASE(sha256_matches_the_standard_vectors) {
  using churn::common::sha256_hex;
  BOOST_TEST(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(sha256_hex("abc") ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  BOOST_TEST(sha256_hex(std::string(1000000, 'a')) ==
             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(register_list_resolve_read) {
  ModelRegistry reg(scratch("basic"));
  BOOST_TEST(reg.names().empty());
  BOOST_TEST(reg.register_document("churn", doc(1), {{"owner", "ds"}}, "first") == 1);
  BOOST_TEST(reg.register_document("churn", doc(2)) == 2);
  BOOST_TEST(reg.register_document("upsell-v2.x_1", doc(3, "Other")) == 1);
  BOOST_TEST((reg.names() == std::vector<std::string>{"churn", "upsell-v2.x_1"}));

  const auto versions = reg.list("churn");
  BOOST_TEST_REQUIRE(versions.size() == 2u);
  const ModelVersion& v1 = versions[0];
  BOOST_TEST(v1.name == "churn");
  BOOST_TEST(v1.version == 1);
  BOOST_TEST(v1.file == "churn/v1.json");
  BOOST_TEST(v1.tags.at("owner") == "ds");
  BOOST_TEST(v1.description == "first");
  BOOST_TEST(v1.kind == "Dummy");
  BOOST_TEST(v1.format_version == "1.0");
  BOOST_TEST((v1.stage == Stage::none));
  BOOST_TEST(v1.sha256.size() == 64u);
  BOOST_TEST(v1.created_at.size() == 24u);  // 2024-05-01T12:00:00.125Z
  BOOST_TEST(v1.created_at.back() == 'Z');
  BOOST_TEST(v1.size == static_cast<std::int64_t>(churn::read_file(reg.path("churn", 1)).size()));

  const auto all = reg.list_all();
  BOOST_TEST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[1].version == 2);
  BOOST_TEST(all[2].name == "upsell-v2.x_1");

  BOOST_TEST(reg.resolve("churn").version == 2);
  BOOST_TEST(reg.resolve("churn", "latest").version == 2);
  BOOST_TEST(reg.resolve("churn", 1).version == 1);
  BOOST_TEST(reg.resolve("churn", "1").version == 1);
  BOOST_TEST(reg.read_document("churn", 1) == doc(1));
  BOOST_TEST(reg.read_document("churn") == doc(2));
  BOOST_TEST(reg.read_text("churn", 2) == doc(2).dump());
  BOOST_TEST(reg.path("churn", 2) == (fs::path(reg.root()) / "churn" / "v2.json").string());
  BOOST_TEST(churn::load_json_file(reg.index_path())["kind"] == "ModelRegistry");
}

BOOST_AUTO_TEST_CASE(a_real_model_round_trips) {
  churn::RowMatrix X(6, 2);
  X << 0, 1, 1, 0, 2, 1, 3, 0, 4, 1, 5, 0;
  churn::Vector y(6);
  y << 0, 0, 1, 0, 1, 1;
  churn::linear::LogisticRegression lr;
  lr.fit(X, y);
  ModelRegistry reg(scratch("real"));
  const int v = reg.register_document("lr", lr.to_json());
  BOOST_TEST(reg.resolve("lr", v).kind == "LogisticRegression");
  const auto back = churn::linear::LogisticRegression::from_json(reg.read_document("lr", v));
  const churn::Vector p0 = lr.predict_proba(X);  // P(y = 1) per row
  const churn::Vector p1 = back.predict_proba(X);
  for (int i = 0; i < 6; ++i) BOOST_TEST(p0[i] == p1[i]);  // bit-identical
}

BOOST_AUTO_TEST_CASE(versions_are_monotonic_and_never_reused) {
  const std::string root = scratch("monotonic");
  ModelRegistry reg(root);
  for (int i = 1; i <= 3; ++i) BOOST_TEST(reg.register_document("m", doc(i)) == i);
  fs::remove(root + "/m/v3.json");  // a bundle deleted by hand: 3 is still taken
  BOOST_TEST(reg.register_document("m", doc(4)) == 4);
  // a file left by a writer that died before updating the index is skipped, not overwritten
  churn::write_file_atomic(root + "/m/v5.json", "orphan");
  BOOST_TEST(reg.register_document("m", doc(6)) == 6);
  BOOST_TEST(churn::read_file(root + "/m/v5.json") == "orphan");
  std::vector<int> listed;
  for (const auto& v : reg.list("m")) listed.push_back(v.version);
  BOOST_TEST((listed == std::vector<int>{1, 2, 3, 4, 6}));
  BOOST_TEST(ModelRegistry(root).resolve("m").version == 6);  // another object, same folder
}

BOOST_AUTO_TEST_CASE(stages) {
  ModelRegistry reg(scratch("stages"));
  for (int i = 1; i <= 4; ++i) reg.register_document("m", doc(i));
  reg.set_stage("m", 2, Stage::production);
  reg.set_stage("m", 3, Stage::staging);
  BOOST_TEST(reg.resolve("m", "production").version == 2);
  BOOST_TEST(reg.resolve("m", Stage::staging).version == 3);
  reg.set_stage("m", 4, Stage::production);  // archives 2
  BOOST_TEST(reg.resolve("m", "production").version == 4);
  BOOST_TEST((reg.resolve("m", 2).stage == Stage::archived));
  BOOST_TEST(reg.resolve("m", "archived").version == 2);
  BOOST_TEST(reg.resolve("m", "none").version == 1);
  reg.set_stage("m", 4, Stage::production);  // again: nothing else changes
  BOOST_TEST((reg.resolve("m", 4).stage == Stage::production));
  reg.set_stage("m", 4, Stage::archived);
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { reg.resolve("m", "production"); },
      {"no version of 'm' is in stage 'production'", "2 (archived)", "3 (staging)"}));
  BOOST_TEST(std::string(churn::model::stage_name(Stage::staging)) == "staging");
  BOOST_TEST((churn::model::stage_from_name("archived") == Stage::archived));
  BOOST_TEST(throws_with<churn::InvalidArgument>([] { churn::model::stage_from_name("prod"); },
                                                 {"stage must be one of", "'production'"}));
}

BOOST_AUTO_TEST_CASE(missing_names_versions_and_specs_are_clear_errors) {
  ModelRegistry reg(scratch("missing"));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { reg.list("m"); },
                                                 {"no model 'm'", "holds no models"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { reg.set_stage("m", 1, Stage::staging); },
                                                 {"set_stage()", "no model 'm'"}));
  reg.register_document("a", doc(1));
  reg.register_document("b", doc(1));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { reg.read_text("c"); },
                                                 {"read_text()", "no model 'c'", "models: a, b"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { reg.resolve("a", 7); },
                                                 {"'a' has no version 7", "versions: 1 (none)"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { reg.set_stage("a", 2, Stage::staging); },
                                                 {"has no version 2"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>([] { VersionSpec("newest"); },
                                                 {"'latest', a version number", "'newest'"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>([] { VersionSpec(0); }, {">= 1", "got 0"}));
  BOOST_CHECK_THROW(VersionSpec("-1"), churn::InvalidArgument);
  BOOST_CHECK_THROW(VersionSpec("99999999999"), churn::InvalidArgument);
  BOOST_TEST(VersionSpec("12").number == 12);
  BOOST_TEST(VersionSpec("production").to_string() == "production");
}

BOOST_AUTO_TEST_CASE(invalid_names_are_refused) {
  const std::string root = scratch("names");
  ModelRegistry reg(root);
  for (const std::string& bad :
       std::vector<std::string>{"", "../evil", "a/b", "..", ".hidden", "a b", "x\\y",
                                "registry.json", "registry.json.tmp1", std::string(129, 'a')})
    BOOST_TEST(throws_with<churn::InvalidArgument>([&] { reg.register_document(bad, doc(1)); },
                                                   {"register_document()", "model name"}),
               "name '" << bad << "'");
  BOOST_CHECK_THROW(reg.read_document("../evil"), churn::InvalidArgument);
  BOOST_TEST(!fs::exists(fs::path(root).parent_path() / "evil"));
  BOOST_TEST(reg.register_document(std::string(128, 'a'), doc(1)) == 1);
  BOOST_CHECK_THROW(ModelRegistry(""), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(documents_that_are_not_readable_envelopes_are_refused) {
  const std::string root = scratch("newer");
  ModelRegistry reg(root);
  BOOST_TEST(throws_with<churn::SerializationError>(
      [&] { reg.register_document("m", doc(1, "Dummy", "2.0")); },
      {"register_document()", "version 2.0 is newer", "upgrade churnlib"}));
  BOOST_TEST(throws_with<churn::SerializationError>(
      [&] {
        reg.register_document("m", Json{{"format", "other"}});
      },
      {"not a churnlib file"}));
  BOOST_CHECK_THROW(reg.register_document("m", Json::array()), churn::SerializationError);
  BOOST_TEST(reg.names().empty());                                      // nothing was registered
  BOOST_TEST(reg.register_document("m", doc(1, "Dummy", "1.7")) == 1);  // a newer minor is fine

  // a bundle that a newer churnlib registered is refused on read, naming the file
  reg.register_document("m", doc(2));
  replace_bundle(root, "m", 2, doc(2, "Dummy", "2.1").dump());
  BOOST_TEST(throws_with<churn::SerializationError>(
      [&] { reg.read_document("m", 2); }, {"v2.json", "version 2.1 is newer", "upgrade churnlib"}));
  BOOST_TEST(reg.read_document("m", 1) == doc(1, "Dummy", "1.7"));
}

BOOST_AUTO_TEST_CASE(damaged_bundles_and_indexes_are_serialization_errors) {
  const std::string root = scratch("damaged");
  ModelRegistry reg(root);
  reg.register_document("m", doc(1));
  reg.register_document("m", doc(2));
  // a bundle changed after registration (valid JSON, same size) or cut short
  std::string text = churn::read_file(root + "/m/v1.json");
  text[text.find("\"payload\":1") + 10] = '7';
  churn::write_file_atomic(root + "/m/v1.json", text);
  BOOST_TEST(throws_with<churn::SerializationError>([&] { reg.read_text("m", 1); },
                                                    {"v1.json", "is damaged"}));
  replace_bundle(root, "m", 2, "{\"format\": \"churn");  // torn, with a matching hash
  BOOST_TEST(throws_with<churn::SerializationError>([&] { reg.read_text("m", 2); },
                                                    {"v2.json", "not valid JSON"}));
  const std::string index = churn::read_file(reg.index_path());
  // a torn index
  churn::write_file_atomic(reg.index_path(), index.substr(0, index.size() / 2));
  BOOST_TEST(throws_with<churn::SerializationError>([&] { reg.names(); },
                                                    {"registry.json", "not valid JSON"}));
  BOOST_TEST(throws_with<churn::SerializationError>([&] { reg.register_document("m", doc(3)); },
                                                    {"registry.json"}));
  BOOST_TEST(!fs::exists(root + "/m/v3.json"));  // nothing written on a damaged index
  // a newer index, another kind, a file pointing outside its folder, random damage
  Json j = churn::parse_json(index);
  j["version"] = "2.0";
  churn::save_json_file(j, reg.index_path());
  BOOST_TEST(throws_with<churn::SerializationError>([&] { reg.list("m"); },
                                                    {"registry.json", "version 2.0 is newer"}));
  j = churn::parse_json(index);
  j["state"]["models"]["m"]["versions"][0]["file"] = "../../etc/passwd";
  churn::save_json_file(j, reg.index_path());
  BOOST_TEST(throws_with<churn::SerializationError>([&] { reg.read_text("m", 1); },
                                                    {"registry.json", "is not 'm/v1.json'"}));
  churn_test::JsonMutator mutate(churn::parse_json(index),
                                 {Json(), Json(-1), Json("x"), Json::array(), Json(1e300)}, 7);
  for (int i = 0; i < 200; ++i) {
    churn::save_json_file(mutate.next(), reg.index_path());
    try {
      for (const auto& v : reg.list("m")) reg.read_text("m", v.version);
    } catch (const churn::SerializationError&) {
    } catch (const churn::InvalidArgument&) {  // e.g. the mutation removed the model
    }
  }
}

BOOST_AUTO_TEST_CASE(concurrent_threads_register_distinct_versions) {
  const std::string root = scratch("threads");
  constexpr int kThreads = 4, kEach = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&root, t] {
      ModelRegistry reg(root);  // each thread its own object: the lock still excludes
      for (int i = 0; i < kEach; ++i) reg.register_document("m", doc(t * 1000 + i));
    });
  for (auto& th : threads) th.join();
  ModelRegistry reg(root);
  std::set<int> payloads;
  const auto versions = reg.list("m");
  BOOST_TEST_REQUIRE(versions.size() == static_cast<std::size_t>(kThreads * kEach));
  for (std::size_t i = 0; i < versions.size(); ++i) {
    BOOST_TEST(versions[i].version == static_cast<int>(i) + 1);
    payloads.insert(reg.read_document("m", versions[i].version)["state"]["payload"].get<int>());
  }
  BOOST_TEST(payloads.size() == static_cast<std::size_t>(kThreads * kEach));
}

BOOST_AUTO_TEST_CASE(concurrent_processes_lose_no_version) {
  const std::string root = scratch("processes");
  constexpr int kProcesses = 6, kEach = 25;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = ::fork();
    BOOST_TEST_REQUIRE(pid >= 0);
    if (pid == 0) {  // the child: register, and report through the exit status only
      int rc = 0;
      try {
        ModelRegistry reg(root);
        for (int i = 0; i < kEach; ++i) {
          reg.register_document(i % 2 ? "a" : "b", doc(p * 1000 + i));
          try {  // a reader beside the writers (the other name may not exist yet)
            reg.read_document(i % 2 ? "b" : "a");
          } catch (const churn::InvalidArgument&) {
          }
        }
      } catch (...) {
        rc = 1;
      }
      ::_exit(rc);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    BOOST_TEST_REQUIRE(::waitpid(pid, &status, 0) == pid);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0), "child status " << status);
  }
  ModelRegistry reg(root);
  std::set<int> payloads;
  std::size_t total = 0;
  for (const std::string name : {"a", "b"}) {
    const auto versions = reg.list(name);
    total += versions.size();
    for (std::size_t i = 0; i < versions.size(); ++i) {
      BOOST_TEST(versions[i].version == static_cast<int>(i) + 1);  // 1..n, no gap, no repeat
      payloads.insert(reg.read_document(name, versions[i].version)["state"]["payload"].get<int>());
    }
  }
  BOOST_TEST(total == static_cast<std::size_t>(kProcesses * kEach));
  BOOST_TEST(payloads.size() == total);               // every registration is there, once
  for (const auto& e : fs::directory_iterator(root))  // no temporary file left behind
    BOOST_TEST(e.path().filename().string().find(".tmp") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
