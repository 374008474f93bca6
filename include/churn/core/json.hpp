#pragma once
/// @file json.hpp
/// The JSON envelope every saved churnlib object uses, and atomic file helpers.
///
/// A saved object is one JSON document:
/// @code{.json}
/// {"format": "churnlib", "version": "1.0", "kind": "LogisticRegression",
///  "params": {...}, "state": {...}}
/// @endcode
/// `version` is the envelope format version "major.minor": a reader accepts any minor version
/// of its own major and older majors, and rejects a newer major with a clear error.

#include <initializer_list>   // std::initializer_list
#include <nlohmann/json.hpp>  // nlohmann::json
#include <string>             // std::string
#include <string_view>        // std::string_view
#include <vector>             // std::vector

namespace churn {

/// The JSON value type used throughout churnlib.
using Json = nlohmann::json;

/// The `format` field of every churnlib envelope.
inline constexpr const char* kEnvelopeFormat = "churnlib";
/// Major version of the envelope format this build writes and reads.
inline constexpr int kEnvelopeMajor = 1;
/// Minor version of the envelope format this build writes.
inline constexpr int kEnvelopeMinor = 0;

/// Wraps `params` and `state` of an object of type `kind` into an envelope.
Json make_envelope(std::string_view kind, Json params, Json state);

/// Checks that `doc` is a churnlib envelope of type `kind` that this build can read and
/// returns it. Callers then read `doc["params"]` and `doc["state"]`.
/// @throws SerializationError naming what is wrong: not an object, a missing field, another
///         format, another kind, a newer major version, or a malformed version.
const Json& open_envelope(const Json& doc, std::string_view kind);

/// Parses JSON text.
/// @throws SerializationError with the parser's position when the text is not valid JSON.
Json parse_json(std::string_view text, std::string_view what = "JSON text");

/// Writes `doc` to `path` through a temporary file in the same folder that is renamed into
/// place, so a failure never leaves a partly written file.
/// @throws IOError if the file cannot be written.
void save_json_file(const Json& doc, const std::string& path, int indent = -1);

/// Reads and parses the JSON file at `path`.
/// @throws IOError if the file cannot be read; SerializationError if it is not valid JSON.
Json load_json_file(const std::string& path);

/// Checks that `obj` is an object whose members are all among `allowed` (loaders reject what
/// they do not know, so a newer file is never half-read).
/// @throws SerializationError naming `where` and the first unknown member.
void json_check_members(const Json& obj, std::initializer_list<const char*> allowed,
                        std::string_view where);

/// Reads a required member of a JSON object with a typed conversion.
/// @throws SerializationError naming `where` and `key` if it is missing or of the wrong type.
template <class T>
T json_get(const Json& obj, const char* key, std::string_view where);

/// Whether `v` is a JSON integer that fits `T`; if so, stores it in `out`. Floats and booleans
/// do not count (a cast of a huge float would be undefined). Callers word their own error.
template <class T>
bool json_int_value(const Json& v, T& out);

/// Reads a required integer member that must fit `T` exactly; floats are rejected (a cast of
/// a huge float would be undefined).
/// @throws SerializationError naming `where` and `key` if it is missing, not an integer or out
///         of range.
template <class T>
T json_get_int(const Json& obj, const char* key, std::string_view where);

/// A double as JSON: a number, or the strings "inf", "-inf", "nan" (JSON has no such numbers).
Json json_from_double(double v);
/// The inverse of json_from_double. @throws SerializationError naming `where` otherwise.
double json_to_double(const Json& v, std::string_view where);
/// A list of doubles, each written with json_from_double.
Json json_from_doubles(const std::vector<double>& v);
/// Reads the required list member `key` written by json_from_doubles.
/// @throws SerializationError naming `where` and `key` if it is missing, not a list, or holds
///         something json_to_double rejects.
std::vector<double> json_get_doubles(const Json& obj, const char* key, std::string_view where);

}  // namespace churn

#include "churn/core/detail/json_impl.hpp"
