#pragma once
/// @file labels.hpp
/// The class labels of a binary classifier: what fit's 0/1 targets stand for.
///
/// churnlib's classifiers train on targets 0 and 1. The labels the user's data carried
/// ("Existing Customer" / "Attrited Customer", false / true, 1 / 2, ...) are kept with the model
/// as a JSON array of two distinct scalars of one kind, so a model trained in Python and scored
/// in C++ (or the other way round) knows what its predictions mean. `labels[1]` is the positive
/// class (the one `predict_proba` gives the probability of), as in scikit-learn.
///
/// @code
/// churn::linear::LogisticRegression model;
/// model.fit(X, y);                                  // y: 0 = stays, 1 = churns
/// model.set_classes(churn::Json::array({"stays", "churns"}));
/// std::string positive = model.classes()[1];        // "churns"
/// @endcode

#include <string_view>  // std::string_view

#include "churn/core/json.hpp"

namespace churn {

/// The labels a classifier has before set_classes(): `[0, 1]`.
Json default_class_labels();

/// Checks `labels`: a JSON array of exactly two distinct scalars of one kind (two integers,
/// two numbers, two strings or two booleans; numbers finite).
/// @throws InvalidArgument naming `caller` and what is wrong.
void check_class_labels(const Json& labels, std::string_view caller);

/// The labels stored under `key` of a saved model's `state`, or default_class_labels() when the
/// member is absent (files written before labels were saved).
/// @throws SerializationError naming `where` if present but invalid.
Json class_labels_from_json(const Json& state, const char* key, std::string_view where);

}  // namespace churn
