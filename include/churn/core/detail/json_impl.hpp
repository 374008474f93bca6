#pragma once
// Template bodies of churn/core/json.hpp.

#include <cstdint>  // std::int64_t, std::uint64_t
#include <limits>   // std::numeric_limits
#include <string>   // std::string

#include "churn/core/error.hpp"

namespace churn {

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

}  // namespace churn
