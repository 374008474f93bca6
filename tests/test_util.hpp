#pragma once
// Helpers shared by the Boost.Test files (included as "test_util.hpp"; not a suite).

#include <boost/test/unit_test.hpp>

#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t
#include <exception>  // std::exception
#include <memory>     // std::make_shared
#include <random>     // std::mt19937_64
#include <string>     // std::string, std::stoul
#include <utility>    // std::move, std::forward
#include <vector>     // std::vector

#include <nlohmann/json.hpp>  // the Json values (churn/core/json.hpp only declares them)
#include "churn/core/fit_options.hpp"

#include "churn/core/json.hpp"
#include "churn/data/table.hpp"

namespace churn_test {

/// fit() options holding sample weights only.
inline churn::FitOptions weighted(const churn::Vector& sample_weight) {
  churn::FitOptions o;
  o.sample_weight = sample_weight;
  return o;
}

/// fit() options holding feature names only.
inline churn::FitOptions named(std::vector<std::string> feature_names) {
  churn::FitOptions o;
  o.feature_names = std::move(feature_names);
  return o;
}

/// fit() options holding an evaluation set (and optionally training weights).
inline churn::FitOptions with_eval(const churn::RowMatrix& X_eval, const churn::Vector& y_eval,
                                   const churn::Vector& sample_weight = churn::Vector()) {
  churn::FitOptions o;
  o.sample_weight = sample_weight;
  o.eval_set = churn::EvalSet{X_eval, y_eval, churn::Vector()};
  return o;
}

/// True when `f()` throws `E` whose message contains every one of `parts` (a wrong exception
/// type, a message lacking a part, or no exception at all is logged and gives false).
template <class E, class F>
bool throws_with(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& p : parts)
      if (msg.find(p) == std::string::npos) {
        BOOST_TEST_MESSAGE("message lacks '" << p << "': " << msg);
        return false;
      }
    return true;
  } catch (const std::exception& e) {
    BOOST_TEST_MESSAGE("wrong exception type: " << e.what());
    return false;
  }
  return false;
}

/// A categorical column viewing `codes` stored as T (int8, int16 or int32; a copy the column
/// owns), as from_codes_view makes of pandas' narrow codes.
template <class T>
churn::data::Column narrow_codes(const std::string& name, const std::vector<std::int32_t>& codes,
                                 const std::vector<std::string>& categories) {
  auto v = std::make_shared<std::vector<T>>(codes.begin(), codes.end());
  const void* p = v->data();
  const auto n = static_cast<churn::Index>(v->size());  // before v is moved from
  return churn::data::Column::from_codes_view(name, p, static_cast<int>(sizeof(T)), n, categories,
                                              std::move(v));
}

/// throws_with for one message part.
template <class E, class F>
bool throws_with(F&& f, const char* part) {
  return throws_with<E>(std::forward<F>(f), std::vector<std::string>{part});
}

/// Random damage to a saved document, for the loaders' "never crash" tests: each next() is a
/// copy of the document with one leaf replaced by one of `junk` or, one time in five, removed.
class JsonMutator {
 public:
  JsonMutator(churn::Json doc, std::vector<churn::Json> junk, std::uint64_t seed)
      : doc_(std::move(doc)), junk_(std::move(junk)), rng_(seed) {
    const churn::Json flat = doc_.flatten();
    for (auto it = flat.begin(); it != flat.end(); ++it) paths_.push_back(it.key());
  }

  churn::Json next() {
    churn::Json d = doc_;
    const churn::Json::json_pointer ptr(paths_[rng_() % paths_.size()]);
    if (rng_() % 5 == 0) {
      churn::Json& parent = d.at(ptr.parent_pointer());
      if (parent.is_object()) {
        parent.erase(ptr.back());
      } else {
        parent.erase(static_cast<std::size_t>(std::stoul(ptr.back())));
      }
    } else {
      d.at(ptr) = junk_[rng_() % junk_.size()];
    }
    return d;
  }

 private:
  churn::Json doc_;
  std::vector<churn::Json> junk_;
  std::mt19937_64 rng_;
  std::vector<std::string> paths_;
};

}  // namespace churn_test
