#pragma once
/// @file json.hpp
/// Private JSON helpers of the loaders and savers (never installed): the envelope, typed member
/// reads that name what is wrong, doubles as JSON (inf and nan as strings). Includes the full
/// `<nlohmann/json.hpp>`, which the public headers only declare.

#include <initializer_list>   // std::initializer_list
#include <limits>             // std::numeric_limits
#include <nlohmann/json.hpp>  // nlohmann::json
#include <string>             // std::string
#include <string_view>        // std::string_view
#include <vector>             // std::vector

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"

namespace churn::common {

/// The byte offset of the first '[' or '{' of `text` that opens a level deeper than `max_depth`
/// (strings skipped), or npos. A linear scan, so a loader can refuse hostile nesting before a
/// JSON value (copied and destroyed recursively) is built. Text that is not JSON still gives an
/// answer; the parser then reports its own error.
std::size_t json_depth_exceeded_at(std::string_view text, int max_depth);

/// Wraps `params` and `state` of an object of type `kind` into an envelope.
Json make_envelope(std::string_view kind, Json params, Json state);

/// Checks the header of a churnlib envelope of any kind: `doc` is an object whose `format` is
/// "churnlib", whose `version` has a major this build reads, and whose `kind` is a string.
/// Returns the kind. `where` starts every message (a caller and a file, say).
/// @throws SerializationError naming what is wrong: not an object, a missing field, another
///         format, a newer major version, or a malformed version.
std::string check_envelope_header(const Json& doc, std::string_view where);

/// Checks that `doc` is a churnlib envelope of type `kind` that this build can read and
/// returns it. Callers then read `doc["params"]` and `doc["state"]`.
/// @throws SerializationError naming what is wrong: not an object, a missing field, another
///         format, another kind, a newer major version, or a malformed version.
const Json& open_envelope(const Json& doc, std::string_view kind);

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

// ---- template bodies ----------------------------------------------------------------------
template <class T>
T json_get(const Json& obj, const char* key, std::string_view where) {
  CHURN_CHECK(obj.is_object(), SerializationError, where << ": expected a JSON object");
  auto it = obj.find(key);
  CHURN_CHECK(it != obj.end(), SerializationError, where << ": missing field '" << key << "'");
  try {
    return it->template get<T>();
  } catch (const nlohmann::json::exception& e) {
    CHURN_THROW(SerializationError,
                where << ": field '" << key << "' has the wrong type (" << it->type_name() << ")");
  }
}

template <class T>
bool json_int_value(const Json& v, T& out) {
  if (!v.is_number_integer()) return false;
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return false;
    out = static_cast<T>(u);
    return true;
  }
  const auto i = v.get<std::int64_t>();
  if (i < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
      (i > 0 &&
       static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())))
    return false;
  out = static_cast<T>(i);
  return true;
}

template <class T>
T json_get_int(const Json& obj, const char* key, std::string_view where) {
  const auto v = json_get<Json>(obj, key, where);
  CHURN_CHECK(v.is_number_integer(), SerializationError,
              where << ": field '" << key << "' must be an integer");
  T out{};
  CHURN_CHECK(json_int_value(v, out), SerializationError,
              where << ": field '" << key << "' is out of range");
  return out;
}

}  // namespace churn::common
