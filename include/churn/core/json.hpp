#pragma once
/// @file json.hpp
/// The JSON value type and the envelope every saved churnlib object uses; JSON files.
///
/// This header declares `churn::Json` through `<nlohmann/json_fwd.hpp>`: include
/// `<nlohmann/json.hpp>` where you work with the values (to_json() results, say).
///
/// A saved object is one JSON document:
/// @code{.json}
/// {"format": "churnlib", "version": "1.0", "kind": "LogisticRegression",
///  "params": {...}, "state": {...}}
/// @endcode
/// `version` is the envelope format version "major.minor": a reader accepts any minor version
/// of its own major and older majors, and rejects a newer major with a clear error.

#include <nlohmann/json_fwd.hpp>  // nlohmann::json (declared; the full header is not needed here)
#include <string>                 // std::string
#include <string_view>            // std::string_view

namespace churn {

/// The JSON value type used throughout churnlib.
using Json = nlohmann::json;

/// The `format` field of every churnlib envelope.
inline constexpr const char* kEnvelopeFormat = "churnlib";
/// Major version of the envelope format this build writes and reads.
inline constexpr int kEnvelopeMajor = 1;
/// Minor version of the envelope format this build writes.
inline constexpr int kEnvelopeMinor = 0;

/// Deepest nesting of arrays and objects that parse_json() (and so every loader) accepts. A
/// churnlib file nests about ten levels; the limit keeps a damaged or hostile file from
/// overflowing the stack (a JSON value is copied and destroyed recursively), so deeper text is
/// refused before any value is built.
inline constexpr int kMaxJsonDepth = 256;

/// Parses JSON text.
/// @throws SerializationError with the parser's position when the text is not valid JSON, or
///         when arrays and objects nest deeper than kMaxJsonDepth.
Json parse_json(std::string_view text, std::string_view what = "JSON text");

/// Writes `doc` to `path` through a temporary file in the same folder that is renamed into
/// place, so a failure never leaves a partly written file.
/// @throws IOError if the file cannot be written.
void save_json_file(const Json& doc, const std::string& path, int indent = -1);

/// Reads and parses the JSON file at `path` (see parse_json()).
/// @throws IOError if the file cannot be read (or is not a regular file); SerializationError if
///         it is not valid JSON or nests deeper than kMaxJsonDepth.
Json load_json_file(const std::string& path);

}  // namespace churn
