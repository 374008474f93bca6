#include "model/registry_index.hpp"

#include <filesystem>  // std::filesystem::exists
#include <string>      // std::string
#include <utility>     // std::move

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "common/json.hpp"

namespace churn::model::detail {

namespace {

Json version_to_json(const ModelVersion& v) {
  Json j = Json::object();
  j["version"] = v.version;
  j["file"] = v.file;
  j["created_at"] = v.created_at;
  j["tags"] = v.tags;
  j["description"] = v.description;
  j["stage"] = stage_name(v.stage);
  j["kind"] = v.kind;
  j["format_version"] = v.format_version;
  j["size"] = v.size;
  j["sha256"] = v.sha256;
  return j;
}

ModelVersion version_from_json(const Json& j, const std::string& name, const std::string& where) {
  common::json_check_members(j,
                             {"version", "file", "created_at", "tags", "description", "stage",
                              "kind", "format_version", "size", "sha256"},
                             where);
  ModelVersion v;
  v.name = name;
  v.version = common::json_get_int<int>(j, "version", where);
  CHURN_CHECK(v.version >= 1, SerializationError, where << ": version " << v.version << " < 1");
  v.file = common::json_get<std::string>(j, "file", where);
  // the file is always <name>/v<N>.json: anything else (an edited index) could point outside
  CHURN_CHECK(
      v.file == name + "/v" + std::to_string(v.version) + ".json", SerializationError,
      where << ": file '" << v.file << "' is not '" << name << "/v" << v.version << ".json'");
  v.created_at = common::json_get<std::string>(j, "created_at", where);
  v.tags = common::json_get<std::map<std::string, std::string>>(j, "tags", where);
  v.description = common::json_get<std::string>(j, "description", where);
  const auto stage = common::json_get<std::string>(j, "stage", where);
  try {
    v.stage = stage_from_name(stage, where);
  } catch (const InvalidArgument& e) {
    CHURN_THROW(SerializationError, e.what());
  }
  v.kind = common::json_get<std::string>(j, "kind", where);
  v.format_version = common::json_get<std::string>(j, "format_version", where);
  v.size = common::json_get_int<std::int64_t>(j, "size", where);
  v.sha256 = common::json_get<std::string>(j, "sha256", where);
  return v;
}

NameEntry entry_from_json(const Json& j, const std::string& name, const std::string& where) {
  common::json_check_members(j, {"next_version", "versions"}, where);
  try {  // a name that could point outside the root
    ModelRegistry::check_name(name, where);
  } catch (const InvalidArgument& e) {
    CHURN_THROW(SerializationError, e.what());
  }
  NameEntry e;
  e.next_version = common::json_get_int<int>(j, "next_version", where);
  const auto versions = common::json_get<Json>(j, "versions", where);
  CHURN_CHECK(versions.is_array(), SerializationError, where << ": 'versions' must be a list");
  int previous = 0;
  for (const auto& v : versions) {
    e.versions.push_back(
        version_from_json(v, name, where + ".versions[" + std::to_string(e.versions.size()) + "]"));
    const int n = e.versions.back().version;
    CHURN_CHECK(n > previous, SerializationError,
                where << ": versions are not increasing (" << n << " after " << previous << ")");
    previous = n;
  }
  CHURN_CHECK(e.next_version > previous, SerializationError,
              where << ": next_version " << e.next_version << " is not above version " << previous);
  return e;
}

}  // namespace

Json index_to_json(const Index& index) {
  Json models = Json::object();
  for (const auto& [name, entry] : index.models) {
    Json versions = Json::array();
    for (const auto& v : entry.versions) versions.push_back(version_to_json(v));
    models[name] = {{"next_version", entry.next_version}, {"versions", std::move(versions)}};
  }
  Json state = Json::object();
  state["models"] = std::move(models);
  return common::make_envelope(kIndexKind, Json::object(), std::move(state));
}

Index index_from_json(const Json& doc, const std::string& path) {
  const std::string where = "ModelRegistry: index '" + path + "'";
  const auto kind = common::check_envelope_header(doc, where);
  CHURN_CHECK(kind == kIndexKind, SerializationError,
              where << ": the file holds a '" << kind << "', not a '" << kIndexKind << "'");
  common::json_check_members(doc, {"format", "version", "kind", "params", "state"}, where);
  CHURN_CHECK(common::json_get<Json>(doc, "params", where).is_object(), SerializationError,
              where << ": 'params' must be an object");
  const auto state = common::json_get<Json>(doc, "state", where);
  common::json_check_members(state, {"models"}, where + ": state");
  const auto models = common::json_get<Json>(state, "models", where + ": state");
  CHURN_CHECK(models.is_object(), SerializationError, where << ": 'models' must be an object");
  Index index;
  for (auto it = models.begin(); it != models.end(); ++it)
    index.models[it.key()] =
        entry_from_json(it.value(), it.key(), where + ": model '" + it.key() + "'");
  return index;
}

Index read_index(const std::string& path) {
  std::error_code ec;
  // only a file that is certainly absent is an empty registry; any other trouble is reported
  // by the read (IOError with the reason)
  if (!std::filesystem::exists(path, ec) && !ec) return Index{};
  return index_from_json(load_json_file(path), path);
}

void write_index(const Index& index, const std::string& path) {
  save_json_file(index_to_json(index), path, 1);
}

}  // namespace churn::model::detail
