// train_churn_model()'s preparation: target, column roles, contract, split, default pipelines.
#include "model/train_data.hpp"

#include <algorithm>      // std::sort, std::stable_sort, std::find
#include <cmath>          // std::llround, std::ceil
#include <cstdio>         // std::snprintf
#include <string>         // std::string
#include <unordered_set>  // std::unordered_set
#include <utility>        // std::move

#include "churn/core/error.hpp"
#include "churn/core/random.hpp"
#include "common/hash.hpp"
#include "common/json.hpp"

namespace churn::model::detail {

using data::Column;
using data::DType;
using data::Table;

namespace {

/// The label of row i as JSON (integral floats as integers). Missing: null.
Json label_at(const Column& c, Index i) {
  if (c.is_missing(i)) return Json(nullptr);
  switch (c.dtype()) {
    case DType::Float64: {
      const double v = c.as_float64()[i];
      if (v == std::floor(v) && std::abs(v) < 9e15) return Json(static_cast<std::int64_t>(v));
      return Json(v);
    }
    case DType::Int64: return Json(c.as_int64()[i]);
    case DType::Categorical: return Json(c.categories()[static_cast<std::size_t>(c.code_at(i))]);
    case DType::String: return Json(c.strings()[static_cast<std::size_t>(i)]);
    default: return Json(nullptr);
  }
}

/// A label as the text pos_label is compared with.
std::string label_text(const Json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump();
}

bool is_text(DType t) {
  return t == DType::Categorical || t == DType::String;
}

/// Whether a text column holds a distinct value in every row (an identifier).
bool all_distinct(const Column& c) {
  if (c.size() < 20 || c.null_count() > 0) return false;
  std::unordered_set<std::string> seen;
  seen.reserve(static_cast<std::size_t>(c.size()));
  for (Index i = 0; i < c.size(); ++i)
    if (!seen.insert(c.value_string(i)).second) return false;
  return true;
}

/// `v` shuffled by a Fisher-Yates pass of `rng`.
void shuffle(std::vector<Index>& v, Rng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.uniform_int(i)]);
}

}  // namespace

Target encode_target(const Table& customers, const TrainOptions& options) {
  const char* who = "train_churn_model()";
  CHURN_CHECK(customers.has_column(options.target), InvalidArgument,
              who << ": the customers have no target column '" << options.target << "'");
  const Column& c = customers.column(options.target);
  CHURN_CHECK(c.dtype() != DType::Timestamp, TypeMismatch,
              who << ": the target '" << options.target << "' is a timestamp column");
  std::vector<Json> labels;
  std::vector<std::int8_t> which(static_cast<std::size_t>(c.size()));
  for (Index i = 0; i < c.size(); ++i) {
    const Json v = label_at(c, i);
    CHURN_CHECK(!v.is_null(), InvalidArgument,
                who << ": the target '" << options.target << "' is missing in row " << i);
    auto at = std::find(labels.begin(), labels.end(), v);
    if (at == labels.end()) {
      CHURN_CHECK(labels.size() < 2, InvalidArgument,
                  who << ": only binary targets are supported; '" << options.target
                      << "' holds at least " << labels[0].dump() << ", " << labels[1].dump()
                      << " and " << v.dump());
      at = labels.insert(labels.end(), v);
    }
    which[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(at - labels.begin());
  }
  CHURN_CHECK(labels.size() == 2, InvalidArgument,
              who << ": the target '" << options.target << "' must hold two labels, found "
                  << labels.size());
  const bool swap = labels[1] < labels[0];
  Target t;
  t.classes = Json::array();
  t.classes.push_back(labels[swap ? 1 : 0]);
  t.classes.push_back(labels[swap ? 0 : 1]);
  if (!options.pos_label.empty()) {
    const bool second = label_text(t.classes[1]) == options.pos_label;
    CHURN_CHECK(second || label_text(t.classes[0]) == options.pos_label, InvalidArgument,
                who << ": pos_label '" << options.pos_label << "' is not a label of '"
                    << options.target << "' (" << t.classes.dump() << ")");
    if (!second) std::swap(t.classes[0], t.classes[1]);
  }
  const int pos = t.classes[1] == labels[0] ? 0 : 1;
  t.y.resize(c.size());
  for (Index i = 0; i < c.size(); ++i)
    t.y[i] = which[static_cast<std::size_t>(i)] == pos ? 1.0 : 0.0;
  return t;
}

std::vector<std::string> Columns::features() const {
  std::vector<std::string> all = numeric;
  all.insert(all.end(), categorical.begin(), categorical.end());
  return all;
}

Columns classify_columns(const Table& customers, const TrainOptions& options) {
  const char* who = "train_churn_model()";
  Columns cols;
  cols.id = options.id_column;
  if (!cols.id.empty())
    CHURN_CHECK(customers.has_column(cols.id), InvalidArgument,
                who << ": id_column '" << cols.id << "' is not a column of the customers");
  if (!options.time_column.empty())
    CHURN_CHECK(
        customers.has_column(options.time_column), InvalidArgument,
        who << ": time_column '" << options.time_column << "' is not a column of the customers");
  for (const Column& c : customers.columns()) {
    const std::string& name = c.name();
    if (name == options.target || name == options.time_column || name == cols.id) continue;
    if (c.dtype() == DType::Timestamp) continue;
    if (is_text(c.dtype()) && all_distinct(c)) {
      if (cols.id.empty() && options.id_column.empty()) cols.id = name;
      continue;
    }
    (is_text(c.dtype()) ? cols.categorical : cols.numeric).push_back(name);
  }
  CHURN_CHECK(!cols.numeric.empty() || !cols.categorical.empty(), InvalidArgument,
              who << ": the customers have no feature column besides the target, id and time");
  return cols;
}

data::Schema make_contract(const Table& customers, const Columns& columns) {
  data::Schema s;
  auto add = [&s](const std::string& name, DType t) {
    data::ColumnSpec spec;
    spec.name = name;
    spec.dtype = t;
    spec.nullable = true;
    s.add(std::move(spec));
  };
  if (!columns.id.empty()) add(columns.id, customers.column(columns.id).dtype());
  for (const auto& n : columns.numeric) add(n, DType::Float64);
  for (const auto& n : columns.categorical) add(n, DType::Categorical);
  s.allow_extra_columns(true);
  return s;
}

namespace {

Split stratified_split(const VectorRef& y, const TrainOptions& o) {
  const char* who = "train_churn_model()";
  Rng rng(o.seed);
  Split s;
  for (const double cls : {0.0, 1.0}) {
    std::vector<Index> rows;
    for (Index i = 0; i < y.size(); ++i)
      if (y[i] == cls) rows.push_back(i);
    const auto n_hold = static_cast<std::size_t>(std::llround(o.test_size * rows.size()));
    CHURN_CHECK(
        n_hold >= 1 && rows.size() - n_hold >= static_cast<std::size_t>(o.cv), InvalidArgument,
        who << ": class " << cls << " has " << rows.size() << " rows, too few for a hold-out of "
            << o.test_size << " and " << o.cv << " folds");
    shuffle(rows, rng);
    s.holdout.insert(s.holdout.end(), rows.begin(), rows.begin() + static_cast<long>(n_hold));
    s.train.insert(s.train.end(), rows.begin() + static_cast<long>(n_hold), rows.end());
  }
  std::sort(s.holdout.begin(), s.holdout.end());
  std::sort(s.train.begin(), s.train.end());
  Vector y_train(static_cast<Index>(s.train.size()));
  for (std::size_t k = 0; k < s.train.size(); ++k) y_train[static_cast<Index>(k)] = y[s.train[k]];
  s.folds = metrics::stratified_kfold(y_train, o.cv, true, o.seed);
  return s;
}

Int64Vector time_values(const Table& customers, const std::string& name) {
  const Column& c = customers.column(name);
  CHURN_CHECK(c.dtype() == DType::Timestamp || c.dtype() == DType::Int64, TypeMismatch,
              "train_churn_model(): time_column '" << name << "' must be a timestamp or int64 "
                                                   << "column, got "
                                                   << data::dtype_name(c.dtype()));
  CHURN_CHECK(c.null_count() == 0, InvalidArgument,
              "train_churn_model(): time_column '" << name << "' has missing values");
  return c.as_int64();
}

Split time_split(const Table& customers, const TrainOptions& o) {
  const Int64Vector t = time_values(customers, o.time_column);
  const Index n = t.size();
  std::vector<Index> order(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  std::stable_sort(order.begin(), order.end(), [&t](Index a, Index b) { return t[a] < t[b]; });
  const auto cut = static_cast<std::size_t>(n - static_cast<Index>(std::ceil(o.test_size * n)));
  const std::int64_t cutoff = t[order[std::min(cut, order.size() - 1)]];
  Split s;
  for (Index i = 0; i < n; ++i) (t[i] < cutoff ? s.train : s.holdout).push_back(i);
  CHURN_CHECK(!s.train.empty() && !s.holdout.empty(), InvalidArgument,
              "train_churn_model(): time_column '" << o.time_column
                                                   << "' leaves no rows before the hold-out");
  Int64Vector t_train(static_cast<Index>(s.train.size()));
  for (std::size_t k = 0; k < s.train.size(); ++k) t_train[static_cast<Index>(k)] = t[s.train[k]];
  s.folds = metrics::time_series_split(t_train, o.cv);
  return s;
}

}  // namespace

Split make_split(const Table& customers, const VectorRef& y, const TrainOptions& options) {
  return options.split == "time" ? time_split(customers, options) : stratified_split(y, options);
}

EventSetup setup_events(const Table& customers, const Table& events,
                        std::optional<std::int64_t> as_of, const std::string& id_column) {
  const char* who = "train_churn_model()";
  CHURN_CHECK(as_of.has_value(), InvalidArgument, who << ": events need as_of (the snapshot time)");
  EventSetup e;
  CHURN_CHECK(
      customers.has_column(e.spec.id_column), InvalidArgument,
      who << ": the customers have no '" << e.spec.id_column << "' column to join the events on");
  (void)id_column;
  if (events.has_column("amount") && events.column("amount").dtype() == DType::Float64)
    e.spec.amount_column = "amount";
  CHURN_CHECK(events.has_column(e.spec.type_column), InvalidArgument,
              who << ": the events have no '" << e.spec.type_column << "' column");
  const Column& types = events.column(e.spec.type_column);
  std::vector<std::string> seen;
  if (types.dtype() == DType::Categorical) {
    seen = types.categories();
  } else {
    std::unordered_set<std::string> s;
    for (Index i = 0; i < types.size(); ++i)
      if (!types.is_missing(i)) s.insert(types.value_string(i));
    seen.assign(s.begin(), s.end());
  }
  std::sort(seen.begin(), seen.end());
  e.spec.event_types = seen;
  e.join.prefix = "ev_";
  features::Pipeline probe;
  probe.join_events(e.spec, e.join);
  const Table out = probe.fit_transform(customers.select({e.spec.id_column}), events, as_of);
  for (const auto& n : out.column_names())
    if (n != e.spec.id_column) e.feature_names.push_back(n);
  return e;
}

features::Pipeline default_pipeline(const std::string& candidate, const Columns& columns,
                                    const Table& train, const EventSetup* events) {
  features::Pipeline p;
  if (events) p.join_events(events->spec, events->join);
  if (candidate == "logistic") {
    std::vector<std::string> gappy;
    std::vector<std::string> full;
    for (const auto& n : columns.numeric)
      (train.column(n).null_count() > 0 ? gappy : full).push_back(n);
    if (events)
      gappy.insert(gappy.end(), events->feature_names.begin(), events->feature_names.end());
    features::ImputeParams with_indicator;
    with_indicator.add_indicator = true;
    if (!gappy.empty()) p.impute(gappy, with_indicator);
    if (!full.empty()) p.impute(full);
    std::vector<std::string> numeric = full;
    numeric.insert(numeric.end(), gappy.begin(), gappy.end());
    if (!numeric.empty()) p.scale(numeric);
    features::OneHotParams oh;
    oh.min_count = 5;
    if (!columns.categorical.empty()) p.one_hot(columns.categorical, oh);
  }
  if (events) p.drop({events->spec.id_column});
  return p;
}

std::string table_fingerprint(const Table& t) {
  std::uint64_t h = common::hash_int(t.num_rows());
  auto fold = [&h](std::uint64_t v) {
    h = common::mix64(h ^ (v + 0x9E3779B97F4A7C15ULL + (h << 6)));
  };
  for (const Column& c : t.columns()) {
    fold(common::hash_bytes(c.name()));
    fold(static_cast<std::uint64_t>(c.dtype()));
    for (Index i = 0; i < c.size(); ++i) {
      if (c.is_missing(i)) {
        fold(0x5EED);
      } else if (c.dtype() == DType::Float64) {
        fold(common::hash_bytes(std::string_view(
            reinterpret_cast<const char*>(c.as_float64().data() + i), sizeof(double))));
      } else if (c.dtype() == DType::Int64 || c.dtype() == DType::Timestamp) {
        fold(common::hash_int(c.as_int64()[i]));
      } else {
        fold(common::hash_bytes(c.value_string(i)));
      }
    }
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace churn::model::detail
