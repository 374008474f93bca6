// The error message of common/enum_names.hpp (out of line: one copy, not one per enum).
#include "common/enum_names.hpp"

#include <sstream>  // std::ostringstream

#include "churn/core/error.hpp"  // InvalidArgument, SerializationError

namespace churn::common::detail {

void throw_unknown_name(const NameRows& rows, std::string_view text, std::string_view caller,
                        std::string_view what, bool serialization) {
  std::ostringstream os;
  if (!caller.empty()) os << caller << ": ";
  os << what << " must be one of ";
  bool first = true;
  for (const auto& [name, canonical] : rows) {
    if (name != canonical) continue;
    os << (first ? "" : ", ") << '\'' << name << '\'';
    first = false;
  }
  // aliases, grouped by the canonical name they stand for: ('elkan' and 'auto' mean 'hamerly')
  bool any_alias = false;
  for (const auto& [canon, c2] : rows) {
    if (canon != c2) continue;
    std::size_t n = 0, seen = 0;
    for (const auto& row : rows) n += row.first != row.second && row.second == canon;
    if (n == 0) continue;
    os << (any_alias ? "; " : " (");
    any_alias = true;
    for (const auto& [alias, target] : rows) {
      if (alias == target || target != canon) continue;
      ++seen;
      os << (seen == 1 ? "" : seen == n ? " and " : ", ") << '\'' << alias << '\'';
    }
    os << (n == 1 ? " means '" : " mean '") << canon << '\'';
  }
  if (any_alias) os << ')';
  os << ", got '" << text << '\'';
  if (serialization) throw SerializationError(os.str());
  throw InvalidArgument(os.str());
}

}  // namespace churn::common::detail
