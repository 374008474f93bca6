// Class labels of binary classifiers (include/churn/core/labels.hpp).
#include "churn/core/labels.hpp"

#include <cmath>   // std::isfinite
#include <string>  // std::string

#include "churn/core/error.hpp"
#include "common/json.hpp"

namespace churn {

namespace {

/// The kind of a label: 0 integer, 1 number, 2 string, 3 boolean, -1 anything else.
int label_kind(const Json& v) {
  if (v.is_boolean()) return 3;
  if (v.is_number_integer()) return 0;
  if (v.is_number_float()) return std::isfinite(v.get<double>()) ? 1 : -1;
  if (v.is_string()) return 2;
  return -1;
}

}  // namespace

Json default_class_labels() {
  return Json::array({0, 1});
}

void check_class_labels(const Json& labels, std::string_view caller) {
  CHURN_CHECK(labels.is_array() && labels.size() == 2, InvalidArgument,
              caller << ": class labels must be an array of two labels, got " << labels.dump());
  const int k0 = label_kind(labels[0]);
  const int k1 = label_kind(labels[1]);
  CHURN_CHECK(k0 >= 0 && k1 >= 0, InvalidArgument,
              caller << ": class labels must be integers, finite numbers, strings or booleans, "
                        "got "
                     << labels.dump());
  // 1 and 2.5 are both numbers: integers and floats mix, nothing else does
  const bool numeric = k0 <= 1 && k1 <= 1;
  CHURN_CHECK(numeric || k0 == k1, InvalidArgument,
              caller << ": both class labels must be of one kind, got " << labels.dump());
  const bool equal =
      numeric ? labels[0].get<double>() == labels[1].get<double>() : labels[0] == labels[1];
  CHURN_CHECK(!equal, InvalidArgument,
              caller << ": the two class labels must differ, got " << labels.dump());
}

Json class_labels_from_json(const Json& state, const char* key, std::string_view where) {
  if (!state.contains(key)) return default_class_labels();
  const Json& labels = state[key];
  try {
    check_class_labels(labels, where);
  } catch (const InvalidArgument& e) {
    CHURN_THROW(SerializationError, e.what());
  }
  return labels;
}

}  // namespace churn
