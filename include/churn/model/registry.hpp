#pragma once
/// @file registry.hpp
/// `churn::model::ModelRegistry`: a folder of versioned model bundles, safe for several
/// processes writing at once.
///
/// The registry stores bundle *documents* (the JSON text of any saved churnlib object: a
/// ChurnModel bundle, a GBDTClassifier, a Pipeline...), so it does not depend on the bundle
/// class; typed `register_model`/`load_model` helpers are built on the document functions.
///
/// **Layout** of the folder `root`:
/// @code{.text}
/// <root>/registry.json      the index (a churnlib envelope of kind "ModelRegistry")
/// <root>/.lock              the lock file writers take (empty)
/// <root>/<name>/v<N>.json   version N of the model <name>, the document as registered
/// @endcode
/// The index is a churnlib envelope (`format`, `version`, `kind`, `params`, `state`), so an index
/// written by a newer major format is refused. Its `state` is
/// @code{.json}
/// {"models": {"churn": {"next_version": 3, "versions": [
///   {"version": 1, "file": "churn/v1.json", "created_at": "2024-05-01T12:00:00.125Z",
///    "tags": {"owner": "ds"}, "stage": "archived", "kind": "GBDTClassifier",
///    "format_version": "1.0", "size": 5321, "sha256": "9f86d0...", "description": ""},
///   {"version": 2, ...}]}}}
/// @endcode
///
/// **Versions** of a name are 1, 2, 3, ...: each `register_document` takes `next_version` and
/// moves it on, so a version number is never reused, even when a bundle file is deleted by
/// hand; a leftover `v<N>.json` that the index does not list (a writer that died between the
/// two writes) is skipped too.
///
/// **Concurrency.** A writer (`register_document`, `set_stage`) takes an exclusive `flock` on
/// `<root>/.lock`, then reads the index, assigns the version, writes the bundle (temporary file
/// + rename) and writes the new index (temporary file + rename), then unlocks. So two processes
/// (or threads) registering at once both succeed with distinct versions and nothing is lost.
/// Readers take no lock: the index and the bundles are only ever replaced by a rename, so a
/// reader sees the old or the new file, never a torn one, and a bundle is on disk before the
/// index lists it. `flock` is advisory and local: the folder should be on a local file system
/// (NFS and similar give no such guarantee). Files are not fsync'ed: a crash of the machine
/// (not of a process) may lose the last writes, never tear a file.
///
/// **Integrity.** Each index entry keeps the size and SHA-256 of its file; reading a bundle
/// checks both and parses the envelope, so a damaged or edited file is a SerializationError
/// naming it, and a bundle of a newer major format version is refused (on register and on
/// read) with a SerializationError saying to upgrade churnlib.
///
/// **Stages**: each version has one of "none" (registered), "staging", "production",
/// "archived". Setting a version to "production" moves the previous production version of that
/// name to "archived", so a name has at most one production version.
///
/// @code
/// churn::model::ModelRegistry reg("models");
/// int v = reg.register_document("churn", gbdt.to_json(), {{"owner", "ds-team"}});
/// reg.set_stage("churn", v, churn::model::Stage::production);
/// churn::Json doc = reg.read_document("churn", "production");
/// auto serving = churn::tree::GBDTClassifier::from_json(doc);
/// @endcode
///
/// Thread safety: every member may run concurrently, from many threads and many processes on
/// the same folder (writers serialise on the lock file; readers never block).

#include <cstdint>      // std::int64_t
#include <map>          // std::map
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/json.hpp"

namespace churn::model {

/// The life-cycle stage of a registered version.
enum class Stage {
  none,        ///< registered, not promoted
  staging,     ///< under evaluation
  production,  ///< serving; at most one version of a name
  archived     ///< retired
};

/// "none", "staging", "production" or "archived".
const char* stage_name(Stage s);
/// Inverse of stage_name. @throws InvalidArgument naming `caller` and listing the stages.
Stage stage_from_name(std::string_view name, std::string_view caller = "stage_from_name()");

/// Which version of a name to read: the latest, a number, or the latest version in a stage.
/// Converts implicitly from an `int` (a version) and from text ("latest", "3", "production").
struct VersionSpec {
  /// What the spec selects.
  enum class Kind {
    latest,  ///< the highest version
    number,  ///< version `number`
    stage    ///< the highest version whose stage is `stage`
  };
  Kind kind = Kind::latest;   ///< what is selected
  int number = 0;             ///< the version, when kind is number (>= 1)
  Stage stage = Stage::none;  ///< the stage, when kind is stage

  /// The latest version.
  VersionSpec() = default;
  /// Version `version`. @throws InvalidArgument if `version` < 1.
  VersionSpec(int version);  // NOLINT(google-explicit-constructor): reg.read_document("m", 3)
  /// The latest version in stage `s`.
  VersionSpec(Stage s);  // NOLINT(google-explicit-constructor)
  /// "latest", a version number in decimal ("3"), or a stage name.
  /// @throws InvalidArgument listing the accepted forms.
  VersionSpec(std::string_view text);  // NOLINT(google-explicit-constructor)
  /// As the string_view constructor (so a string literal converts).
  VersionSpec(const char* text) : VersionSpec(std::string_view(text)) {}  // NOLINT
  /// As the string_view constructor.
  VersionSpec(const std::string& text) : VersionSpec(std::string_view(text)) {}  // NOLINT

  /// "latest", the number, or the stage's name.
  std::string to_string() const;
};

/// One registered version, as the index lists it.
struct ModelVersion {
  std::string name;        ///< the model name
  int version = 0;         ///< the version number, >= 1
  std::string file;        ///< the bundle file relative to the root ("churn/v3.json")
  std::string created_at;  ///< UTC time of registration, "2024-05-01T12:00:00.125Z"
  std::map<std::string, std::string> tags;  ///< free-form labels given at registration
  std::string description;                  ///< free text given at registration ("" if none)
  Stage stage = Stage::none;                ///< the life-cycle stage
  std::string kind;            ///< the `kind` of the document's envelope ("GBDTClassifier")
  std::string format_version;  ///< the `version` of the document's envelope ("1.0")
  std::int64_t size = 0;       ///< bytes of the bundle file
  std::string sha256;          ///< SHA-256 of the bundle file, 64 lowercase hex digits
};

/// A folder of versioned model bundles (see the file documentation for the layout, the
/// concurrency guarantees and the stages).
/// @code
/// churn::model::ModelRegistry reg("/srv/models");
/// const int v = reg.register_document("churn", doc, {{"data", "2024-05"}});
/// for (const auto& mv : reg.list("churn")) std::cout << mv.version << " " << mv.created_at;
/// churn::Json latest = reg.read_document("churn");  // "latest"
/// @endcode
///
/// Thread safety: every member may run concurrently on one object or on several objects (and
/// processes) sharing the folder; writers serialise on `<root>/.lock`, readers take no lock.
class ModelRegistry {
 public:
  /// A registry in the folder `root` (created by the first registration; reading a registry
  /// whose folder or index does not exist yet sees no models).
  /// @throws InvalidArgument if `root` is empty.
  explicit ModelRegistry(std::string root);

  /// The folder given to the constructor.
  const std::string& root() const { return root_; }
  /// The index file, `<root>/registry.json`.
  std::string index_path() const;

  /// Registers `document` as the next version of `name` and returns that version (1 for a new
  /// name). The document is written to `<root>/<name>/v<N>.json` (compact JSON) and listed in
  /// the index, both atomically, under the lock (see the file documentation).
  /// @param name letters, digits, `_`, `-`, `.`; 1 to 128 characters; not starting with a dot.
  /// @param document a churnlib envelope (`format` "churnlib", a `version` whose major this
  ///        build reads, a string `kind`).
  /// @param tags free-form labels kept in the index.
  /// @param description free text kept in the index.
  /// @throws InvalidArgument for an invalid name; SerializationError if `document` is not a
  ///         churnlib envelope or was written by a newer major format version, or if the
  ///         index is damaged or newer; IOError if a file cannot be written or locked.
  int register_document(const std::string& name, const Json& document,
                        const std::map<std::string, std::string>& tags = {},
                        const std::string& description = "");

  /// The names that have at least one version, sorted.
  /// @throws SerializationError if the index is damaged or newer; IOError if unreadable.
  std::vector<std::string> names() const;

  /// The versions of `name`, oldest first.
  /// @throws InvalidArgument naming the registered names if `name` has none; as names().
  std::vector<ModelVersion> list(const std::string& name) const;

  /// Every version of every name, sorted by name, then version (one read of the index).
  /// @throws as names().
  std::vector<ModelVersion> list_all() const;

  /// The version `spec` selects.
  /// @throws InvalidArgument if the name, the version or a version in the stage does not
  ///         exist (the message lists what does); as names().
  ModelVersion resolve(const std::string& name, const VersionSpec& spec = {}) const;

  /// The path of the bundle file `spec` selects (`<root>/<name>/v<N>.json`). As resolve().
  std::string path(const std::string& name, const VersionSpec& spec = {}) const;

  /// The text of the bundle `spec` selects, checked: its size and SHA-256 must match the
  /// index and it must be a churnlib envelope this build reads.
  /// @throws SerializationError naming the file if it is damaged, changed since it was
  ///         registered, or of a newer major format version; IOError if it cannot be read;
  ///         as resolve().
  std::string read_text(const std::string& name, const VersionSpec& spec = {}) const;

  /// The parsed document of read_text().
  Json read_document(const std::string& name, const VersionSpec& spec = {}) const;

  /// Sets the stage of version `version` of `name`. Setting Stage::production moves the
  /// previous production version of `name` (if any, and if another) to Stage::archived.
  /// Runs under the lock, like register_document.
  /// @throws InvalidArgument if the name or version does not exist; as register_document.
  void set_stage(const std::string& name, int version, Stage stage);

  /// Throws InvalidArgument naming `caller` unless `name` is a valid model name (see
  /// register_document).
  static void check_name(const std::string& name, std::string_view caller);

 private:
  std::string root_;
};

}  // namespace churn::model
