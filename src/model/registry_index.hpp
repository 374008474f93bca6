#pragma once
/// @file registry_index.hpp
/// The registry's index `<root>/registry.json` in memory, and its JSON form (private).
/// The layout is documented in include/churn/model/registry.hpp.

#include <map>          // std::map
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/json.hpp"
#include "churn/model/registry.hpp"

namespace churn::model::detail {

/// The versions of one name.
struct NameEntry {
  int next_version = 1;                ///< the version the next registration gets
  std::vector<ModelVersion> versions;  ///< ascending by version
};

/// The whole index: name -> its versions.
struct Index {
  std::map<std::string, NameEntry> models;  ///< sorted by name
};

/// The `kind` of the index's envelope.
inline constexpr const char* kIndexKind = "ModelRegistry";

/// The index as a churnlib envelope of kind "ModelRegistry".
Json index_to_json(const Index& index);

/// The index of `doc`; `path` names the file in every message.
/// @throws SerializationError if `doc` is not an index this build reads (another format or
///         kind, a newer major version, a missing or malformed member, an unknown member).
Index index_from_json(const Json& doc, const std::string& path);

/// Reads the index file `path`; an empty index if the file does not exist.
/// @throws SerializationError naming the file if it is damaged; IOError if unreadable.
Index read_index(const std::string& path);

/// Writes the index to `path` atomically (temporary file + rename).
/// @throws IOError if it cannot be written.
void write_index(const Index& index, const std::string& path);

}  // namespace churn::model::detail
