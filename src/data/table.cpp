#include "churn/data/table.hpp"

#include <algorithm>      // std::min, std::max
#include <charconv>       // std::to_chars
#include <cmath>          // std::isnan
#include <functional>     // std::hash
#include <limits>         // std::numeric_limits
#include <mutex>          // std::once_flag, std::call_once
#include <tuple>          // std::tie
#include <type_traits>    // std::remove_const_t, std::remove_pointer_t
#include <unordered_map>  // std::unordered_map
#include <unordered_set>  // std::unordered_set
#include <utility>        // std::move

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "common/enum_names.hpp"

namespace churn::data {

// ------------------------------------------------------------------------------------------
// DType
// ------------------------------------------------------------------------------------------

namespace {

/// The pandas-style names first, then the aliases a schema or read_csv(dtypes=...) may use.
constexpr common::EnumName<DType> kDTypeNames[] = {{DType::Float64, "float64"},
                                                   {DType::Int64, "int64"},
                                                   {DType::Categorical, "category"},
                                                   {DType::Timestamp, "timestamp"},
                                                   {DType::String, "string"},
                                                   {DType::Float64, "float"},
                                                   {DType::Float64, "double"},
                                                   {DType::Float64, "numeric"},
                                                   {DType::Int64, "int"},
                                                   {DType::Int64, "integer"},
                                                   {DType::Categorical, "categorical"},
                                                   {DType::Timestamp, "datetime"},
                                                   {DType::Timestamp, "date"},
                                                   {DType::String, "str"},
                                                   {DType::String, "text"}};

}  // namespace

const char* dtype_name(DType t) {
  return common::enum_name(kDTypeNames, t);
}

DType dtype_from_name(std::string_view n) {
  return common::enum_from_name(kDTypeNames, n, "", "column type");
}

// ------------------------------------------------------------------------------------------
// Column
// ------------------------------------------------------------------------------------------

namespace {

template <class T>
std::pair<std::shared_ptr<const void>, const void*> own(std::vector<T>&& v) {
  auto p = std::make_shared<const std::vector<T>>(std::move(v));
  const void* data = p->data();
  return {std::shared_ptr<const void>(p), data};
}

std::shared_ptr<const std::vector<std::uint8_t>> own_validity(std::vector<std::uint8_t>&& valid,
                                                              Index n, const std::string& name) {
  if (valid.empty()) return nullptr;
  CHURN_CHECK(
      static_cast<Index>(valid.size()) == n, InvalidArgument,
      "Column '" << name << "': validity has " << valid.size() << " entries for " << n << " rows");
  bool any_missing = false;
  for (auto b : valid) any_missing |= (b == 0);
  if (!any_missing) return nullptr;
  return std::make_shared<const std::vector<std::uint8_t>>(std::move(valid));
}

const std::vector<std::uint8_t>& empty_validity() {
  static const std::vector<std::uint8_t> kEmpty;
  return kEmpty;
}

template <class P>
using pointee_t = std::remove_const_t<std::remove_pointer_t<P>>;

void check_categories(const std::string& name, const std::vector<std::string>& categories) {
  CHURN_CHECK(
      categories.size() <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
      InvalidArgument, "Column '" << name << "': too many categories");
  if (const std::string* rep = common::first_repeat(categories))
    CHURN_THROW(InvalidArgument, "Column '" << name << "': category '" << *rep
                                            << "' appears twice in the dictionary");
}

// Every code in [-1, n_cat): a branch-free min/max scan in the codes' own width (vectorised),
// then, only when it fails, a second pass for the first bad row.
template <class T>
void check_codes(const std::string& name, const T* codes, Index n, std::int64_t n_cat) {
  T lo = 0, hi = -1;
  for (Index i = 0; i < n; ++i) {
    lo = std::min(lo, codes[i]);
    hi = std::max(hi, codes[i]);
  }
  if (lo >= -1 && hi < n_cat) return;
  for (Index i = 0; i < n; ++i)
    CHURN_CHECK(codes[i] >= -1 && codes[i] < n_cat, InvalidArgument,
                "Column '" << name << "': code " << static_cast<std::int64_t>(codes[i])
                           << " at row " << i << " is out of range for " << n_cat << " categories");
}

}  // namespace

struct Column::WideCodes {
  std::once_flag once;
  std::vector<std::int32_t> codes;
};

Column::Column() {
  std::tie(owner_, data_) = own(std::vector<double>{});
}

Column Column::from_float64(std::string name, std::vector<double> values) {
  Column c;
  c.name_ = std::move(name);
  c.dtype_ = DType::Float64;
  c.size_ = static_cast<Index>(values.size());
  std::tie(c.owner_, c.data_) = own(std::move(values));
  return c;
}

Column Column::from_float64_view(std::string name, const double* data, Index n,
                                 std::shared_ptr<const void> owner) {
  CHURN_CHECK(n >= 0 && (data != nullptr || n == 0), InvalidArgument,
              "Column::from_float64_view(): invalid buffer for column '" << name << "'");
  Column c;
  c.name_ = std::move(name);
  c.dtype_ = DType::Float64;
  c.size_ = n;
  if (n > 0) {
    c.owner_ = std::move(owner);
    c.data_ = data;
  }
  return c;
}

Column Column::from_int64(std::string name, std::vector<std::int64_t> values,
                          std::vector<std::uint8_t> valid) {
  Column c;
  c.name_ = std::move(name);
  c.dtype_ = DType::Int64;
  c.size_ = static_cast<Index>(values.size());
  c.valid_ = own_validity(std::move(valid), c.size_, c.name_);
  std::tie(c.owner_, c.data_) = own(std::move(values));
  return c;
}

Column Column::from_timestamp(std::string name, std::vector<std::int64_t> ns) {
  Column c;
  c.name_ = std::move(name);
  c.dtype_ = DType::Timestamp;
  c.size_ = static_cast<Index>(ns.size());
  std::tie(c.owner_, c.data_) = own(std::move(ns));
  return c;
}

Column Column::from_codes(std::string name, std::vector<std::int32_t> codes,
                          std::vector<std::string> categories) {
  check_categories(name, categories);
  check_codes(name, codes.data(), static_cast<Index>(codes.size()),
              static_cast<std::int64_t>(categories.size()));
  Column c;
  c.name_ = std::move(name);
  c.dtype_ = DType::Categorical;
  c.size_ = static_cast<Index>(codes.size());
  c.categories_ = std::make_shared<const std::vector<std::string>>(std::move(categories));
  std::tie(c.owner_, c.data_) = own(std::move(codes));
  return c;
}

Column Column::from_codes_view(std::string name, const void* codes, int code_bytes, Index n,
                               std::vector<std::string> categories,
                               std::shared_ptr<const void> owner) {
  CHURN_CHECK(code_bytes == 1 || code_bytes == 2 || code_bytes == 4, InvalidArgument,
              "Column::from_codes_view(): column '"
                  << name << "': code_bytes must be 1, 2 or 4, got " << code_bytes);
  CHURN_CHECK(n >= 0 && (codes != nullptr || n == 0), InvalidArgument,
              "Column::from_codes_view(): invalid buffer for column '" << name << "'");
  check_categories(name, categories);
  Column c;
  c.name_ = std::move(name);
  c.dtype_ = DType::Categorical;
  c.size_ = n;
  c.code_width_ = code_bytes;
  c.categories_ = std::make_shared<const std::vector<std::string>>(std::move(categories));
  if (n > 0) {
    c.owner_ = std::move(owner);
    c.data_ = codes;
    c.visit_codes([&](const auto* p) {
      check_codes(c.name_, p, n, static_cast<std::int64_t>(c.categories_->size()));
    });
  }
  if (code_bytes < 4) c.wide_ = std::make_shared<WideCodes>();
  return c;
}

Column Column::from_strings_categorical(std::string name, const std::vector<std::string>& values,
                                        const std::vector<std::uint8_t>& valid) {
  CHURN_CHECK(valid.empty() || valid.size() == values.size(), InvalidArgument,
              "Column '" << name << "': validity has " << valid.size() << " entries for "
                         << values.size() << " rows");
  std::unordered_map<std::string_view, std::int32_t> dict;
  std::vector<std::string> categories;
  std::vector<std::int32_t> codes(values.size());
  // A few values (a request of one row) are matched against the categories so far directly;
  // more through a hash map.
  const bool use_map = values.size() > 8;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!valid.empty() && valid[i] == 0) {
      codes[i] = kMissingCode;
      continue;
    }
    if (!use_map) {
      const auto at = std::find(categories.begin(), categories.end(), values[i]);
      codes[i] = static_cast<std::int32_t>(at - categories.begin());
      if (at == categories.end()) categories.push_back(values[i]);
      continue;
    }
    auto [it, inserted] = dict.emplace(values[i], static_cast<std::int32_t>(categories.size()));
    if (inserted) categories.push_back(values[i]);
    codes[i] = it->second;
  }
  Column c;
  c.name_ = std::move(name);
  c.dtype_ = DType::Categorical;
  c.size_ = static_cast<Index>(codes.size());
  c.categories_ = std::make_shared<const std::vector<std::string>>(std::move(categories));
  std::tie(c.owner_, c.data_) = own(std::move(codes));
  return c;
}

Column Column::from_strings(std::string name, std::vector<std::string> values,
                            std::vector<std::uint8_t> valid) {
  Column c;
  c.name_ = std::move(name);
  c.dtype_ = DType::String;
  c.size_ = static_cast<Index>(values.size());
  c.valid_ = own_validity(std::move(valid), c.size_, c.name_);
  c.strings_ = std::make_shared<const std::vector<std::string>>(std::move(values));
  c.owner_ = c.strings_;
  c.data_ = nullptr;
  return c;
}

Column Column::renamed(std::string name) const {
  Column c = *this;
  c.name_ = std::move(name);
  return c;
}

void Column::require(DType t, const char* what) const {
  CHURN_CHECK(dtype_ == t, TypeMismatch,
              "Column::" << what << "(): column '" << name_ << "' is " << dtype_name(dtype_)
                         << ", not " << dtype_name(t));
}

void Column::require_int_like(const char* what) const {
  CHURN_CHECK(dtype_ == DType::Int64 || dtype_ == DType::Timestamp, TypeMismatch,
              "Column::" << what << "(): column '" << name_ << "' is " << dtype_name(dtype_)
                         << ", not int64 or timestamp");
}

Eigen::Map<const Vector> Column::as_float64() const {
  require(DType::Float64, "as_float64");
  return {static_cast<const double*>(data_), static_cast<Eigen::Index>(size_)};
}

Eigen::Map<const Int64Vector> Column::as_int64() const {
  require_int_like("as_int64");
  return {static_cast<const std::int64_t*>(data_), static_cast<Eigen::Index>(size_)};
}

Eigen::Map<const IntVector> Column::codes() const {
  require(DType::Categorical, "codes");
  if (code_width_ == 4)
    return {static_cast<const std::int32_t*>(data_), static_cast<Eigen::Index>(size_)};
  std::call_once(wide_->once, [this] {
    visit_codes([this](const auto* src) { wide_->codes.assign(src, src + size_); });
  });
  return {wide_->codes.data(), static_cast<Eigen::Index>(size_)};
}

const std::vector<std::string>& Column::categories() const {
  require(DType::Categorical, "categories");
  return *categories_;
}

const std::vector<std::string>& Column::strings() const {
  require(DType::String, "strings");
  return *strings_;
}

const std::vector<std::uint8_t>& Column::validity() const {
  return valid_ ? *valid_ : empty_validity();
}

bool Column::is_missing(Index i) const {
  CHURN_CHECK(i >= 0 && i < size_, InvalidArgument,
              "Column '" << name_ << "': row " << i << " out of range [0, " << size_ << ")");
  switch (dtype_) {
    case DType::Float64: return std::isnan(static_cast<const double*>(data_)[i]);
    case DType::Categorical: return code_at(i) < 0;
    case DType::Timestamp: return static_cast<const std::int64_t*>(data_)[i] == kNaT;
    case DType::Int64:
    case DType::String: return valid_ && (*valid_)[static_cast<std::size_t>(i)] == 0;
  }
  return false;
}

Index Column::null_count() const {
  Index n = 0;
  switch (dtype_) {
    case DType::Float64: {
      const auto* d = static_cast<const double*>(data_);
      for (Index i = 0; i < size_; ++i) n += std::isnan(d[i]) ? 1 : 0;
      break;
    }
    case DType::Categorical:
      visit_codes([&](const auto* d) {
        for (Index i = 0; i < size_; ++i) n += d[i] < 0 ? 1 : 0;
      });
      break;
    case DType::Timestamp: {
      const auto* d = static_cast<const std::int64_t*>(data_);
      for (Index i = 0; i < size_; ++i) n += d[i] == kNaT ? 1 : 0;
      break;
    }
    case DType::Int64:
    case DType::String:
      if (valid_)
        for (auto b : *valid_) n += b == 0 ? 1 : 0;
      break;
  }
  return n;
}

std::string Column::value_string(Index i) const {
  if (is_missing(i)) return std::string();
  switch (dtype_) {
    case DType::Float64: {
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, static_cast<const double*>(data_)[i]);
      return std::string(buf, r.ptr);
    }
    case DType::Int64: return std::to_string(static_cast<const std::int64_t*>(data_)[i]);
    case DType::Categorical: return (*categories_)[static_cast<std::size_t>(code_at(i))];
    case DType::Timestamp: return format_timestamp(static_cast<const std::int64_t*>(data_)[i]);
    case DType::String: return (*strings_)[static_cast<std::size_t>(i)];
  }
  return std::string();
}

double Column::value_double(Index i) const {
  CHURN_CHECK(dtype_ != DType::String, TypeMismatch,
              "Column '" << name_ << "' is a string column and has no numeric value");
  if (is_missing(i)) return kMissing;
  switch (dtype_) {
    case DType::Float64: return static_cast<const double*>(data_)[i];
    case DType::Categorical: return code_at(i);
    case DType::Int64:
    case DType::Timestamp: return static_cast<double>(static_cast<const std::int64_t*>(data_)[i]);
    case DType::String: break;
  }
  return kMissing;
}

// ------------------------------------------------------------------------------------------
// Table
// ------------------------------------------------------------------------------------------

Table::Table(std::vector<Column> columns) {
  for (auto& c : columns) add_column(std::move(c));
}

std::vector<std::string> Table::column_names() const {
  std::vector<std::string> out;
  out.reserve(columns_.size());
  for (const auto& c : columns_) out.push_back(c.name());
  return out;
}

Index Table::find(std::string_view name) const {
  if (slots_.empty()) return -1;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t k = std::hash<std::string_view>{}(name)&mask;; k = (k + 1) & mask) {
    const std::int32_t at = slots_[k];
    if (at == 0) return -1;
    if (columns_[static_cast<std::size_t>(at - 1)].name() == name) return at - 1;
  }
}

void Table::place(std::size_t j) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t k = std::hash<std::string_view>{}(columns_[j].name()) & mask;
  while (slots_[k] != 0) k = (k + 1) & mask;
  slots_[k] = static_cast<std::int32_t>(j + 1);
}

bool Table::has_column(std::string_view name) const {
  return find(name) >= 0;
}

const Column* Table::get(std::string_view name) const {
  const Index at = find(name);
  return at < 0 ? nullptr : &columns_[static_cast<std::size_t>(at)];
}

Index Table::column_index(std::string_view name) const {
  const Index at = find(name);
  if (at < 0) {
    std::ostringstream avail;
    for (std::size_t i = 0; i < columns_.size() && i < 30; ++i)
      avail << (i ? ", " : "") << "'" << columns_[i].name() << "'";
    if (columns_.size() > 30) avail << ", ...";
    CHURN_THROW(InvalidArgument, "unknown column '" << name << "'; the table has "
                                                    << columns_.size()
                                                    << " columns: " << avail.str());
  }
  return at;
}

const Column& Table::column(std::string_view name) const {
  return columns_[static_cast<std::size_t>(column_index(name))];
}

const Column& Table::column(Index i) const {
  CHURN_CHECK(i >= 0 && i < num_columns(), InvalidArgument,
              "Table::column(): index " << i << " out of range [0, " << num_columns() << ")");
  return columns_[static_cast<std::size_t>(i)];
}

Table& Table::add_column(Column c) {
  CHURN_CHECK(!has_column(c.name()), InvalidArgument,
              "Table::add_column(): a column named '" << c.name() << "' already exists");
  if (!columns_.empty())
    CHURN_CHECK(c.size() == num_rows_, InvalidArgument,
                "Table::add_column(): column '" << c.name() << "' has " << c.size()
                                                << " rows, the table has " << num_rows_);
  CHURN_CHECK(
      columns_.size() < static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max() / 4),
      InvalidArgument, "Table::add_column(): too many columns");
  num_rows_ = c.size();
  columns_.push_back(std::move(c));
  if (2 * columns_.size() <= slots_.size()) {
    place(columns_.size() - 1);
  } else {  // grow: at most half the slots in use
    slots_.assign(std::max<std::size_t>(16, 2 * slots_.size()), 0);
    for (std::size_t j = 0; j < columns_.size(); ++j) place(j);
  }
  return *this;
}

Table& Table::set_column(Column c) {
  const Index at = find(c.name());
  if (at < 0) return add_column(std::move(c));
  CHURN_CHECK(c.size() == num_rows_, InvalidArgument,
              "Table::set_column(): column '" << c.name() << "' has " << c.size()
                                              << " rows, the table has " << num_rows_);
  columns_[static_cast<std::size_t>(at)] = std::move(c);
  return *this;
}

Table Table::select(const std::vector<std::string>& names) const {
  Table out;
  for (const auto& n : names) {
    const Column& c = column(n);
    CHURN_CHECK(!out.has_column(n), InvalidArgument,
                "Table::select(): column '" << n << "' is named twice");
    out.add_column(c);
  }
  if (names.empty()) out.num_rows_ = 0;
  return out;
}

Table Table::drop(const std::vector<std::string>& names) const {
  std::unordered_set<std::string> gone;
  for (const auto& n : names) {
    column_index(n);  // throws for unknown names
    gone.insert(n);
  }
  Table out;
  for (const auto& c : columns_)
    if (!gone.count(c.name())) out.add_column(c);
  return out;
}

namespace {

// Gathers rows `rows` of column `c` into a new column.
Column gather(const Column& c, const std::vector<Index>& rows) {
  const std::size_t n = rows.size();
  std::vector<std::uint8_t> valid;
  const auto& cv = c.validity();
  if (!cv.empty()) {
    valid.resize(n);
    for (std::size_t i = 0; i < n; ++i) valid[i] = cv[static_cast<std::size_t>(rows[i])];
  }
  switch (c.dtype()) {
    case DType::Float64: {
      auto src = c.as_float64();
      std::vector<double> v(n);
      for (std::size_t i = 0; i < n; ++i) v[i] = src[rows[i]];
      return Column::from_float64(c.name(), std::move(v));
    }
    case DType::Int64:
    case DType::Timestamp: {
      auto src = c.as_int64();
      std::vector<std::int64_t> v(n);
      for (std::size_t i = 0; i < n; ++i) v[i] = src[rows[i]];
      return c.dtype() == DType::Int64
                 ? Column::from_int64(c.name(), std::move(v), std::move(valid))
                 : Column::from_timestamp(c.name(), std::move(v));
    }
    case DType::Categorical:
      // same code width as the source (a narrow column stays narrow)
      return c.visit_codes([&](const auto* src) {
        using T = pointee_t<decltype(src)>;
        auto v = std::make_shared<std::vector<T>>(n);
        for (std::size_t i = 0; i < n; ++i) (*v)[i] = src[rows[i]];
        const void* p = v->data();
        return Column::from_codes_view(c.name(), p, static_cast<int>(sizeof(T)),
                                       static_cast<Index>(n), c.categories(), std::move(v));
      });
    case DType::String: {
      const auto& src = c.strings();
      std::vector<std::string> v(n);
      for (std::size_t i = 0; i < n; ++i) v[i] = src[static_cast<std::size_t>(rows[i])];
      return Column::from_strings(c.name(), std::move(v), std::move(valid));
    }
  }
  return Column();
}

}  // namespace

Table Table::take(const std::vector<Index>& rows) const {
  for (std::size_t i = 0; i < rows.size(); ++i)
    CHURN_CHECK(rows[i] >= 0 && rows[i] < num_rows_, InvalidArgument,
                "Table::take(): row " << rows[i] << " out of range [0, " << num_rows_ << ")");
  Table out;
  for (const auto& c : columns_) out.add_column(gather(c, rows));
  return out;
}

Table Table::slice(Index offset, Index length) const {
  CHURN_CHECK(offset >= 0 && length >= 0 && offset + length <= num_rows_, InvalidArgument,
              "Table::slice(): rows [" << offset << ", " << offset + length << ") out of range for "
                                       << num_rows_ << " rows");
  std::vector<Index> rows(static_cast<std::size_t>(length));
  for (Index i = 0; i < length; ++i) rows[static_cast<std::size_t>(i)] = offset + i;
  return take(rows);
}

namespace {

// Table::concat's parts must have the same columns (names and types, in order) as the first.
void check_same_columns(const std::vector<Table>& parts) {
  const Table& first = parts.front();
  for (std::size_t p = 1; p < parts.size(); ++p) {
    CHURN_CHECK(parts[p].num_columns() == first.num_columns(), InvalidArgument,
                "Table::concat(): part " << p << " has " << parts[p].num_columns()
                                         << " columns, part 0 has " << first.num_columns());
    for (Index j = 0; j < first.num_columns(); ++j) {
      const Column& a = first.column(j);
      const Column& b = parts[p].column(j);
      CHURN_CHECK(a.name() == b.name() && a.dtype() == b.dtype(), InvalidArgument,
                  "Table::concat(): column " << j << " is '" << a.name() << "' ("
                                             << dtype_name(a.dtype()) << ") in part 0 but '"
                                             << b.name() << "' (" << dtype_name(b.dtype())
                                             << ") in part " << p);
    }
  }
}

// The validity of column j over all parts (all valid where a part has none); empty when no
// part has one.
std::vector<std::uint8_t> concat_validity(const std::vector<Table>& parts, Index j, std::size_t n) {
  bool any_invalid = false;
  for (const auto& t : parts) any_invalid |= !t.column(j).validity().empty();
  std::vector<std::uint8_t> valid;
  if (any_invalid) {
    valid.reserve(n);
    for (const auto& t : parts) {
      const auto& v = t.column(j).validity();
      if (v.empty())
        valid.insert(valid.end(), static_cast<std::size_t>(t.num_rows()), 1);
      else
        valid.insert(valid.end(), v.begin(), v.end());
    }
  }
  return valid;
}

// Categorical column j over all parts: the first part's categories, then each part's new ones
// in order; codes remapped to them.
Column concat_categorical(const std::vector<Table>& parts, Index j, std::size_t n) {
  const Column& c0 = parts.front().column(j);
  std::vector<std::string> cats = c0.categories();
  std::unordered_map<std::string, std::int32_t> dict;
  for (std::size_t k = 0; k < cats.size(); ++k) dict.emplace(cats[k], static_cast<std::int32_t>(k));
  std::vector<std::int32_t> v;
  v.reserve(n);
  for (const auto& t : parts) {
    const Column& c = t.column(j);
    std::vector<std::int32_t> remap(c.categories().size());
    for (std::size_t k = 0; k < remap.size(); ++k) {
      auto [it, inserted] = dict.emplace(c.categories()[k], static_cast<std::int32_t>(cats.size()));
      if (inserted) cats.push_back(c.categories()[k]);
      remap[k] = it->second;
    }
    c.visit_codes([&](const auto* s) {
      for (Index i = 0; i < c.size(); ++i)
        v.push_back(s[i] < 0 ? kMissingCode : remap[static_cast<std::size_t>(s[i])]);
    });
  }
  return Column::from_codes(c0.name(), std::move(v), std::move(cats));
}

// Column j of every part, one after the other (`n` rows in all).
Column concat_column(const std::vector<Table>& parts, Index j, std::size_t n) {
  const Column& c0 = parts.front().column(j);
  std::vector<std::uint8_t> valid = concat_validity(parts, j, n);
  switch (c0.dtype()) {
    case DType::Float64: {
      std::vector<double> v;
      v.reserve(n);
      for (const auto& t : parts) {
        auto s = t.column(j).as_float64();
        v.insert(v.end(), s.data(), s.data() + s.size());
      }
      return Column::from_float64(c0.name(), std::move(v));
    }
    case DType::Int64:
    case DType::Timestamp: {
      std::vector<std::int64_t> v;
      v.reserve(n);
      for (const auto& t : parts) {
        auto s = t.column(j).as_int64();
        v.insert(v.end(), s.data(), s.data() + s.size());
      }
      return c0.dtype() == DType::Int64
                 ? Column::from_int64(c0.name(), std::move(v), std::move(valid))
                 : Column::from_timestamp(c0.name(), std::move(v));
    }
    case DType::Categorical: return concat_categorical(parts, j, n);
    case DType::String: {
      std::vector<std::string> v;
      v.reserve(n);
      for (const auto& t : parts) {
        const auto& s = t.column(j).strings();
        v.insert(v.end(), s.begin(), s.end());
      }
      return Column::from_strings(c0.name(), std::move(v), std::move(valid));
    }
  }
  return Column();
}

}  // namespace

Table Table::concat(const std::vector<Table>& parts) {
  CHURN_CHECK(!parts.empty(), InvalidArgument, "Table::concat(): no tables given");
  check_same_columns(parts);
  Index total = 0;
  for (const auto& t : parts) total += t.num_rows();
  const auto n = static_cast<std::size_t>(total);
  Table out;
  for (Index j = 0; j < parts.front().num_columns(); ++j)
    out.add_column(concat_column(parts, j, n));
  return out;
}

RowMatrix Table::numeric_matrix(const std::vector<std::string>& names, const char* caller,
                                int n_threads) const {
  for (const auto& name : names) {
    CHURN_CHECK(has_column(name), InvalidArgument,
                caller << ": the table has no column '" << name << "'");
    const DType t = column(name).dtype();
    CHURN_CHECK(t == DType::Float64 || t == DType::Int64, TypeMismatch,
                caller << ": column '" << name << "' is " << dtype_name(t)
                       << "; the model takes float64 or int64 columns (encode categories first)");
  }
  return to_matrix(names, n_threads);
}

RowMatrix Table::to_matrix(const std::vector<std::string>& names, int n_threads) const {
  std::vector<const Column*> cols;
  if (names.empty()) {
    for (const auto& c : columns_) cols.push_back(&c);
  } else {
    for (const auto& n : names) cols.push_back(&column(n));
  }
  for (const Column* c : cols)
    CHURN_CHECK(c->dtype() != DType::String && c->dtype() != DType::Timestamp, TypeMismatch,
                "Table::to_matrix(): column '" << c->name() << "' is " << dtype_name(c->dtype())
                                               << " and has no numeric form; drop it or encode it");
  const Index n = num_rows_;
  const auto p = static_cast<Index>(cols.size());
  RowMatrix X(n, p);
  parallel_for_blocks(0, n, 16384, n_threads, [&](Index lo, Index hi) {
    for (Index j = 0; j < p; ++j) {
      const Column& c = *cols[static_cast<std::size_t>(j)];
      switch (c.dtype()) {
        case DType::Float64: {
          const auto* d = static_cast<const double*>(c.data());
          for (Index i = lo; i < hi; ++i) X(i, j) = d[i];
          break;
        }
        case DType::Int64: {
          const auto* d = static_cast<const std::int64_t*>(c.data());
          const auto& v = c.validity();
          for (Index i = lo; i < hi; ++i)
            X(i, j) = (!v.empty() && v[static_cast<std::size_t>(i)] == 0)
                          ? kMissing
                          : static_cast<double>(d[i]);
          break;
        }
        case DType::Categorical:
          c.visit_codes([&](const auto* d) {
            for (Index i = lo; i < hi; ++i)
              X(i, j) = d[i] < 0 ? kMissing : static_cast<double>(d[i]);
          });
          break;
        default: break;
      }
    }
  });
  return X;
}

}  // namespace churn::data
