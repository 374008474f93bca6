#include "churn/model/registry.hpp"

#include <time.h>  // gmtime_r

#include <chrono>      // std::chrono::system_clock
#include <ctime>       // std::time_t, std::tm, std::strftime
#include <filesystem>  // std::filesystem::create_directories, exists
#include <sstream>     // std::ostringstream
#include <string>      // std::string
#include <tuple>       // std::tie
#include <utility>     // std::move, std::pair

#include "churn/core/error.hpp"
#include "churn/core/fileio.hpp"
#include "churn/core/json.hpp"
#include "common/file_lock.hpp"
#include "common/json.hpp"
#include "common/sha256.hpp"
#include "model/registry_index.hpp"

namespace churn::model {

namespace fs = std::filesystem;
using detail::Index;
using detail::NameEntry;

namespace {

/// The current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string now_utc() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  const int millis = static_cast<int>(ms % 1000);
  std::string out(buf, n);
  out += '.';
  out += static_cast<char>('0' + millis / 100);
  out += static_cast<char>('0' + millis / 10 % 10);
  out += static_cast<char>('0' + millis % 10);
  out += 'Z';
  return out;
}

/// "a, b, c" (at most 20 items; then the first 10, "...", the last 10 and the count).
template <class Items, class Show>
std::string join_some(const Items& items, Show show) {
  std::ostringstream out;
  const std::size_t n = items.size();
  std::size_t i = 0;
  for (const auto& item : items) {
    if (n > 20 && i == 10) out << ", ...";
    if (n <= 20 || i < 10 || i >= n - 10) out << (i > 0 ? ", " : "") << show(item);
    ++i;
  }
  if (n > 20) out << " (" << n << " in all)";
  return out.str();
}

/// The versions of `name` in `index`.
/// @throws InvalidArgument naming `caller` and listing the registered names.
const NameEntry& entry_of(const Index& index, const std::string& name, const std::string& root,
                          const char* caller) {
  ModelRegistry::check_name(name, caller);
  const auto it = index.models.find(name);
  if (it != index.models.end() && !it->second.versions.empty()) return it->second;
  std::vector<std::string> names;
  for (const auto& [n, e] : index.models)
    if (!e.versions.empty()) names.push_back(n);
  CHURN_THROW(
      InvalidArgument,
      caller << ": no model '" << name << "' in the registry '" << root << "' ("
             << (names.empty() ? std::string("it holds no models")
                               : "models: " + join_some(names, [](const auto& s) { return s; }))
             << ")");
}

/// The version of `entry` that `spec` selects.
/// @throws InvalidArgument naming `caller` and listing the versions (with their stages).
const ModelVersion& select(const NameEntry& entry, const std::string& name, const VersionSpec& spec,
                           const char* caller) {
  const auto& vs = entry.versions;
  if (spec.kind == VersionSpec::Kind::latest) return vs.back();
  for (auto it = vs.rbegin(); it != vs.rend(); ++it) {
    if (spec.kind == VersionSpec::Kind::number ? it->version == spec.number
                                               : it->stage == spec.stage)
      return *it;
  }
  const auto show = [](const ModelVersion& v) {
    return std::to_string(v.version) + " (" + stage_name(v.stage) + ")";
  };
  if (spec.kind == VersionSpec::Kind::number)
    CHURN_THROW(InvalidArgument, caller << ": '" << name << "' has no version " << spec.number
                                        << " (versions: " << join_some(vs, show) << ")");
  CHURN_THROW(InvalidArgument, caller << ": no version of '" << name << "' is in stage '"
                                      << stage_name(spec.stage)
                                      << "' (versions: " << join_some(vs, show) << ")");
}

/// (kind, format version) of a document that must be a churnlib envelope this build reads.
std::pair<std::string, std::string> envelope_of(const Json& doc, const std::string& where) {
  auto kind = common::check_envelope_header(doc, where);
  return {std::move(kind), doc["version"].get<std::string>()};
}

/// The version a registration of `name` gets: the entry's next version, past any file that
/// exists already (left by a writer that died before it updated the index).
int claim_version(const NameEntry& entry, const fs::path& folder) {
  int v = entry.next_version;
  std::error_code ec;
  while (fs::exists(folder / ("v" + std::to_string(v) + ".json"), ec)) ++v;
  return v;
}

}  // namespace

ModelRegistry::ModelRegistry(std::string root) : root_(std::move(root)) {
  CHURN_CHECK(!root_.empty(), InvalidArgument, "ModelRegistry(): root must not be empty");
}

std::string ModelRegistry::index_path() const {
  return (fs::path(root_) / "registry.json").string();
}

int ModelRegistry::register_document(const std::string& name, const Json& document,
                                     const std::map<std::string, std::string>& tags,
                                     const std::string& description) {
  const char* caller = "ModelRegistry::register_document()";
  check_name(name, caller);
  ModelVersion mv;
  std::tie(mv.kind, mv.format_version) =
      envelope_of(document, std::string(caller) + ": the document of '" + name + "'");
  const std::string text = document.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  mv.name = name;
  mv.tags = tags;
  mv.description = description;
  mv.size = static_cast<std::int64_t>(text.size());
  mv.sha256 = common::sha256_hex(text);

  const fs::path folder = fs::path(root_) / name;
  std::error_code ec;
  fs::create_directories(folder, ec);
  CHURN_CHECK(!ec, IOError,
              caller << ": cannot create the folder '" << folder.string() << "': " << ec.message());
  const common::FileLock lock((fs::path(root_) / ".lock").string(), "ModelRegistry");
  Index index = detail::read_index(index_path());
  NameEntry& entry = index.models[name];
  mv.version = claim_version(entry, folder);
  mv.file = name + "/v" + std::to_string(mv.version) + ".json";
  mv.created_at = now_utc();
  write_file_atomic((folder / ("v" + std::to_string(mv.version) + ".json")).string(), text);
  entry.next_version = mv.version + 1;
  entry.versions.push_back(std::move(mv));
  detail::write_index(index, index_path());
  return entry.versions.back().version;
}

std::vector<std::string> ModelRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : detail::read_index(index_path()).models)
    if (!entry.versions.empty()) out.push_back(name);
  return out;
}

std::vector<ModelVersion> ModelRegistry::list(const std::string& name) const {
  const Index index = detail::read_index(index_path());
  return entry_of(index, name, root_, "ModelRegistry::list()").versions;
}

std::vector<ModelVersion> ModelRegistry::list_all() const {
  std::vector<ModelVersion> out;
  for (const auto& [name, entry] : detail::read_index(index_path()).models)
    out.insert(out.end(), entry.versions.begin(), entry.versions.end());
  return out;
}

ModelVersion ModelRegistry::resolve(const std::string& name, const VersionSpec& spec) const {
  const char* caller = "ModelRegistry::resolve()";
  const Index index = detail::read_index(index_path());
  return select(entry_of(index, name, root_, caller), name, spec, caller);
}

std::string ModelRegistry::path(const std::string& name, const VersionSpec& spec) const {
  return (fs::path(root_) / resolve(name, spec).file).string();
}

std::string ModelRegistry::read_text(const std::string& name, const VersionSpec& spec) const {
  const char* caller = "ModelRegistry::read_text()";
  const Index index = detail::read_index(index_path());
  const ModelVersion& mv = select(entry_of(index, name, root_, caller), name, spec, caller);
  const std::string file = (fs::path(root_) / mv.file).string();
  std::string text = read_file(file);
  const std::string where = std::string(caller) + ": '" + file + "'";
  CHURN_CHECK(
      static_cast<std::int64_t>(text.size()) == mv.size && common::sha256_hex(text) == mv.sha256,
      SerializationError,
      where << " is damaged or was changed after it was registered (its size or SHA-256 "
               "differs from the index's)");
  envelope_of(parse_json(text, where), where);
  return text;
}

Json ModelRegistry::read_document(const std::string& name, const VersionSpec& spec) const {
  return parse_json(read_text(name, spec), "ModelRegistry::read_document()");
}

void ModelRegistry::set_stage(const std::string& name, int version, Stage stage) {
  const char* caller = "ModelRegistry::set_stage()";
  check_name(name, caller);
  const VersionSpec spec(version);
  std::error_code ec;
  if (!fs::exists(index_path(), ec)) entry_of(Index{}, name, root_, caller);  // throws: no model
  const common::FileLock lock((fs::path(root_) / ".lock").string(), "ModelRegistry");
  Index index = detail::read_index(index_path());
  entry_of(index, name, root_, caller);  // throws when there is no such model
  NameEntry& entry = index.models.at(name);
  const int target = select(entry, name, spec, caller).version;
  for (auto& v : entry.versions) {
    if (v.version == target)
      v.stage = stage;
    else if (stage == Stage::production && v.stage == Stage::production)
      v.stage = Stage::archived;
  }
  detail::write_index(index, index_path());
}

}  // namespace churn::model
