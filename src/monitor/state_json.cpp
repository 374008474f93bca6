#include "monitor/state_json.hpp"

#include <utility>  // std::move

#include "churn/core/error.hpp"
#include "common/json.hpp"

namespace churn::monitor::detail {

using common::ExactSum;
using common::json_check_members;
using common::json_get;
using common::json_get_int;
using common::json_int_value;

Json exact_sum_to_json(const ExactSum& s) {
  const std::vector<common::Int128> w = s.limbs();
  Json limbs = Json::array();
  for (std::size_t k = 0; k < w.size(); ++k) {
    const common::Int128 v = w[k];
    if (v == 0) continue;
    const auto high = static_cast<std::int64_t>(v >> 64);
    const auto low = static_cast<std::uint64_t>(static_cast<common::UInt128>(v));
    limbs.push_back(Json::array({static_cast<std::int64_t>(k), high, low}));
  }
  return Json{{"limbs", limbs}, {"pos_inf", s.pos_inf()}, {"neg_inf", s.neg_inf()}};
}

ExactSum exact_sum_from_json(const Json& j, const std::string& where) {
  constexpr int kLimbs = ExactSum::kLimbs;
  json_check_members(j, {"limbs", "pos_inf", "neg_inf"}, where);
  const auto pos_inf = json_get_int<std::int64_t>(j, "pos_inf", where);
  const auto neg_inf = json_get_int<std::int64_t>(j, "neg_inf", where);
  CHURN_CHECK(pos_inf >= 0 && neg_inf >= 0 && pos_inf < (std::int64_t{1} << 62) &&
                  neg_inf < (std::int64_t{1} << 62),
              SerializationError, where << ": infinity counts must be in [0, 2^62)");
  const Json limbs = json_get<Json>(j, "limbs", where);
  CHURN_CHECK(limbs.is_array(), SerializationError, where << ": 'limbs' must be a list");
  std::vector<common::Int128> w;  // none, or all kLimbs
  std::int64_t prev = -1;
  for (const auto& p : limbs) {
    std::int64_t k = 0, high = 0;
    std::uint64_t low = 0;
    CHURN_CHECK(p.is_array() && p.size() == 3 && json_int_value(p[0], k) &&
                    json_int_value(p[1], high) && json_int_value(p[2], low),
                SerializationError, where << ": each limb must be [index, high, low] integers");
    CHURN_CHECK(k > prev && k < kLimbs, SerializationError,
                where << ": limb indices must increase within 0.." << kLimbs - 1 << ", got " << k);
    // canonical limbs have high 0 (or -1 at the top); the bound keeps merges of damaged
    // documents from overflowing
    CHURN_CHECK(high > -(std::int64_t{1} << 40) && high < (std::int64_t{1} << 40),
                SerializationError, where << ": limb " << k << " is out of range");
    prev = k;
    if (w.empty()) w.assign(kLimbs, 0);
    w[static_cast<std::size_t>(k)] = static_cast<common::Int128>(
        (static_cast<common::UInt128>(static_cast<std::uint64_t>(high)) << 64) | low);
  }
  return ExactSum::from_state(std::move(w), pos_inf, neg_inf);
}

std::vector<std::int64_t> json_to_counts(const Json& obj, const char* key,
                                         const std::string& where) {
  const Json a = json_get<Json>(obj, key, where);
  CHURN_CHECK(a.is_array(), SerializationError, where << ": field '" << key << "' must be a list");
  std::vector<std::int64_t> out;
  out.reserve(a.size());
  for (const auto& v : a) {
    std::int64_t x = 0;
    CHURN_CHECK(json_int_value(v, x) && x >= 0, SerializationError,
                where << ": field '" << key << "' must hold integer counts >= 0");
    out.push_back(x);
  }
  return out;
}

}  // namespace churn::monitor::detail
