#pragma once
// Template bodies of churn/core/json.hpp.

#include <string>  // std::string

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

}  // namespace churn
