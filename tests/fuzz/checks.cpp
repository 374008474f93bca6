// The properties of the fuzz targets (see checks.hpp).
#include "fuzz/checks.hpp"

#include <algorithm>   // std::min
#include <cmath>       // std::isnan, std::isfinite, std::ldexp
#include <cstring>     // std::memcmp
#include <functional>  // std::function
#include <limits>      // std::numeric_limits
#include <map>         // std::map
#include <optional>    // std::optional
#include <random>      // std::mt19937_64
#include <sstream>     // std::ostringstream
#include <utility>     // std::move

#include <nlohmann/json.hpp>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/data/csv.hpp"
#include "churn/data/schema.hpp"
#include "churn/data/synthetic.hpp"
#include "churn/features/pipeline.hpp"
#include "churn/linear/logistic.hpp"
#include "churn/model/churn_model.hpp"
#include "churn/monitor/baseline.hpp"
#include "churn/retention/buckets.hpp"
#include "churn/segment/kmeans.hpp"
#include "churn/tree/forest.hpp"
#include "churn/tree/gbdt.hpp"
#include "data/csv_impl.hpp"
#include "fuzz/rules_fuzz.hpp"

namespace churn_fuzz {
namespace {

using churn::Index;
using churn::Json;
using churn::RowMatrix;
using churn::Vector;
using churn::data::Table;

/// Models wider than this are loaded and round-tripped but not probed (the probe matrix would
/// be too large for a fuzzer's memory limit; such a width needs a large file anyway).
constexpr Index kMaxProbeFeatures = 2048;

[[noreturn]] void fail(const std::string& target, const std::string& what) {
  throw Violation("fuzz target " + target + ": " + what);
}

// ---- inputs the loaded objects are probed with -----------------------------------------------

/// A small customer table and event log (the seeds' models were fitted on tables like these).
const Table& customers() {
  static const Table t = [] {
    churn::data::CustomerOptions o;
    o.n_customers = 48;
    o.seed = 5;
    o.n_threads = 1;
    return churn::data::make_customers(o);
  }();
  return t;
}
const Table& events() {
  static const Table t = [] {
    churn::data::EventOptions o;
    o.n_customers = 48;
    o.events_per_customer = 4;
    o.seed = 5;
    o.n_threads = 1;
    return churn::data::make_events(o);
  }();
  return t;
}
std::int64_t as_of() {
  return churn::data::CustomerOptions().as_of;
}

/// Rows every model must accept: non-negative integers below 2^31 (valid numbers and valid
/// category codes) and, when `with_nan`, missing values.
RowMatrix valid_probe(Index p, bool with_nan) {
  const Index rows = with_nan ? 8 : 6;
  RowMatrix X(rows, p);
  for (Index j = 0; j < p; ++j) {
    X(0, j) = 0;
    X(1, j) = 1;
    X(2, j) = static_cast<double>(j % 5);
    X(3, j) = static_cast<double>((j * 7919 + 13) % 97);
    X(4, j) = 1e6;
    X(5, j) = 2147483647.0;
    if (with_nan) {
      X(6, j) = std::numeric_limits<double>::quiet_NaN();
      X(7, j) = j % 2 ? 3.0 : std::numeric_limits<double>::quiet_NaN();
    }
  }
  return X;
}

/// Rows a model may refuse with a churn::Error (negative, fractional, huge, infinite values).
RowMatrix extreme_probe(Index p) {
  RowMatrix X(5, p);
  for (Index j = 0; j < p; ++j) {
    X(0, j) = -1;
    X(1, j) = 0.37 * static_cast<double>(j) - 2.5;
    X(2, j) = 1e300;
    X(3, j) = -1e300;
    X(4, j) = j % 2 ? std::numeric_limits<double>::infinity() : -0.0;
  }
  return X;
}

void check_probabilities(const std::string& target, const Vector& p, Index rows) {
  if (p.size() != rows) fail(target, "probabilities of the wrong length");
  for (Index i = 0; i < p.size(); ++i)
    if (!(p[i] >= 0.0 && p[i] <= 1.0)) {
      std::ostringstream os;
      os << "probability " << p[i] << " outside [0, 1] at probe row " << i;
      fail(target, os.str());
    }
}

bool same_bits(const Vector& a, const Vector& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}

/// `f()` with a churn::Error mapped to nullopt.
template <class F>
auto refused_or(F&& f) -> std::optional<decltype(f())> {
  try {
    return f();
  } catch (const churn::Error&) {
    return std::nullopt;
  }
}

// ---- structured mutations of a JSON document ---------------------------------------------------

void collect(Json& doc, std::vector<Json*>& out) {
  out.push_back(&doc);
  if (doc.is_object() || doc.is_array())
    for (auto& v : doc) collect(v, out);
}

/// One mutation at a random node: a number moved by one or to a boundary, a value of another
/// type, a member or element removed, an element duplicated or two swapped.
void mutate_any(Json& doc, std::mt19937_64& g) {
  std::vector<Json*> nodes;
  collect(doc, nodes);
  Json& node = *nodes[g() % nodes.size()];
  static const double kBoundaries[] = {0.0,          -1.0,          1.0,    2.0,         -0.0,
                                       0.5,          1e308,         -1e308, 1e-320,      65536.0,
                                       2147483648.0, -2147483649.0, 9.3e18, 4294967296.0};
  switch (g() % 8) {
    case 0:
    case 1:
      if (node.is_number_integer())
        node = node.get<std::int64_t>() + ((g() & 1) ? 1 : -1);
      else if (node.is_number())
        node = node.get<double>() * ((g() & 1) ? -1.0 : 2.0);
      else if (node.is_array() && !node.empty())
        node.erase(node.begin() + static_cast<long>(g() % node.size()));
      break;
    case 2:
      if (node.is_number() || node.is_null())
        node = kBoundaries[g() % (sizeof kBoundaries / sizeof *kBoundaries)];
      break;
    case 3:
      if (node.is_object() && !node.empty()) {
        auto it = node.begin();
        std::advance(it, static_cast<long>(g() % node.size()));
        node.erase(it.key());
      }
      break;
    case 4:
      if (node.is_array() && !node.empty()) node.push_back(node[g() % node.size()]);
      break;
    case 5:
      if (node.is_array() && node.size() > 1)
        std::swap(node[g() % node.size()], node[g() % node.size()]);
      break;
    case 6: {
      static const Json kValues[] = {nullptr, true, "", "x", Json::array(), Json::object(), -1, 3};
      node = kValues[g() % (sizeof kValues / sizeof *kValues)];
      break;
    }
    default:
      if (node.is_string()) node = node.get<std::string>() + "_";
      break;
  }
}

// ---- one check per loader ----------------------------------------------------------------------

/// to_json -> from_json -> to_json gives the same document.
template <class T>
T round_trip(const std::string& target, const T& loaded) {
  const Json a = loaded.to_json();
  T again = T::from_json(a);  // a churn::Error here escapes as a violation (caught below)
  if (again.to_json().dump() != a.dump()) fail(target, "to_json is not stable across a reload");
  return again;
}

template <class T>
T reload(const std::string& target, const T& loaded) {
  try {
    return round_trip(target, loaded);
  } catch (const churn::Error& e) {
    fail(target, std::string("its own to_json does not load: ") + e.what());
  }
}

template <class Model>
void check_tree_model(const std::string& target, const Json& doc, bool raw_scale) {
  auto m = refused_or([&] { return Model::from_json(doc); });
  if (!m) return;
  const Model again = reload(target, *m);
  const Index p = m->n_features();
  if (p < 1) fail(target, "a loaded model without features");
  if (p > kMaxProbeFeatures) return;
  for (int pass = 0; pass < 2; ++pass) {
    const RowMatrix X = pass == 0 ? valid_probe(p, true) : extreme_probe(p);
    std::optional<Vector> proba;
    try {
      proba = m->predict_proba(X);
    } catch (const churn::Error& e) {
      if (pass == 0) fail(target, std::string("refuses valid probe rows: ") + e.what());
      continue;
    }
    check_probabilities(target, *proba, X.rows());
    if (!same_bits(*proba, again.predict_proba(X)))
      fail(target, "reloaded model predicts other bits");
    const RowMatrix c = m->predict_contrib(X);
    if (c.rows() != X.rows() || c.cols() != p + 1)
      fail(target, "predict_contrib of the wrong shape");
    Vector total;
    if constexpr (std::is_same_v<Model, churn::tree::GBDTClassifier>)
      total = m->predict_raw(X);
    else
      total = *proba;
    (void)raw_scale;
    for (Index i = 0; i < X.rows(); ++i) {
      const double s = c.row(i).sum();
      if (!std::isfinite(total[i])) continue;
      const double tol = 1e-6 * std::max(1.0, std::abs(total[i])) * static_cast<double>(p + 1);
      if (!(std::abs(s - total[i]) <= tol)) {
        std::ostringstream os;
        os << "contributions of probe row " << i << " sum to " << s << ", not " << total[i];
        fail(target, os.str());
      }
    }
  }
}

void check_logistic(const Json& doc) {
  const std::string target = "logistic";
  auto m = refused_or([&] { return churn::linear::LogisticRegression::from_json(doc); });
  if (!m) return;
  const auto again = reload(target, *m);
  const Index p = m->n_features();
  if (p < 1) fail(target, "a loaded model without features");
  if (p > kMaxProbeFeatures) return;
  const RowMatrix X = valid_probe(p, false);
  const auto proba = refused_or([&] { return m->predict_proba(X); });
  if (!proba) fail(target, "refuses finite probe rows");
  // a row of zeros gives the intercept's probability; on other rows, coefficients near the
  // largest double may overflow the linear predictor (inf - inf), which no check can prevent
  check_probabilities(target, proba->head(1), 1);
  if (!same_bits(*proba, again.predict_proba(X)))
    fail(target, "reloaded model predicts other bits");
  refused_or([&] { return m->predict_proba(extreme_probe(p)); });
  refused_or([&] { return m->predict_proba(valid_probe(p, true)); });
}

void check_kmeans(const Json& doc) {
  const std::string target = "kmeans";
  auto m = refused_or([&] { return churn::segment::KMeans::from_json(doc); });
  if (!m) return;
  const auto again = reload(target, *m);
  const Index p = m->n_features();
  if (p < 1) fail(target, "a loaded model without features");
  if (p > kMaxProbeFeatures) return;
  const Index k = m->cluster_centers().rows();
  const RowMatrix X = valid_probe(p, false);
  const auto labels = refused_or([&] { return m->predict(X); });
  if (!labels) fail(target, "refuses finite probe rows");
  for (Index i = 0; i < labels->size(); ++i)
    if ((*labels)[i] < 0 || (*labels)[i] >= k) fail(target, "a label outside [0, k)");
  const RowMatrix d = m->transform(X);
  if (d.rows() != X.rows() || d.cols() != k) fail(target, "transform of the wrong shape");
  // the row of zeros: its squared distances to finite centres are never NaN
  for (Index c = 0; c < k; ++c)
    if (!(d(0, c) >= 0.0)) fail(target, "a negative or NaN distance of the zero row");
  if (again.predict(X) != *labels) fail(target, "reloaded model predicts other labels");
  refused_or([&] { return m->predict(extreme_probe(p)); });
  refused_or([&] { return m->transform(valid_probe(p, true)); });
}

void check_baseline(const Json& doc) {
  const std::string target = "baseline";
  auto b = refused_or([&] { return churn::monitor::Baseline::from_json(doc); });
  if (!b) return;
  reload(target, *b);
  if (!b->is_fitted()) return;
  // against itself: every drift statistic of a distribution against itself is defined
  refused_or([&] { return b->compare(*b); });
  // against the probe customers, a column of the right kind for each feature
  const Table& c = customers();
  Table t;
  for (const std::string& f : b->feature_names()) {
    if (c.has_column(f))
      t.add_column(c.column(f));
    else
      t.add_column(churn::data::Column::from_float64(
          f, std::vector<double>(static_cast<std::size_t>(c.num_rows()), 1.0)));
  }
  if (t.num_columns() == 0) return;
  Vector score = Vector::LinSpaced(c.num_rows(), 0.0, 1.0);
  refused_or([&] { return b->compare(t, b->has_score() ? score : Vector()); });
}

void check_pipeline(const Json& doc) {
  const std::string target = "pipeline";
  auto pipe = refused_or([&] { return churn::features::Pipeline::from_json(doc); });
  if (!pipe) return;
  reload(target, *pipe);
  std::optional<Table> out;
  if (pipe->joins_events()) {
    const std::optional<std::int64_t> when = pipe->event_join_params().as_of_column.empty()
                                                 ? std::optional<std::int64_t>(as_of())
                                                 : std::nullopt;
    out = refused_or([&] { return pipe->transform(customers(), events(), when); });
  } else {
    out = refused_or([&] { return pipe->transform(customers()); });
  }
  if (!out) return;
  if (out->num_rows() != customers().num_rows()) fail(target, "transform changed the row count");
  if (out->column_names() != pipe->feature_names_out())
    fail(target, "transform's columns are not feature_names_out()");
  const RowMatrix X = churn::features::Pipeline::numeric_matrix(*out, 1);
  const RowMatrix by_source = pipe->contributions_by_source(RowMatrix::Zero(X.rows(), X.cols()));
  if (by_source.rows() != X.rows()) fail(target, "contributions_by_source changed the row count");
}

void check_churn_model(const Json& doc) {
  const std::string target = "churn_model";
  auto m = refused_or([&] { return churn::model::ChurnModel::from_json(doc); });
  if (!m) return;
  reload(target, *m);
  churn::model::ScoreOptions so;
  so.n_reasons = 2;
  std::optional<Table> scored = refused_or([&] { return m->score(customers(), so); });
  std::optional<Vector> proba;
  if (scored) {
    proba = m->predict_proba(customers());
  } else {
    scored = refused_or([&] { return m->score(customers(), events(), as_of(), so); });
    if (!scored)
      scored = refused_or([&] { return m->score(customers(), events(), std::nullopt, so); });
    if (!scored) return;
    proba = refused_or([&] { return m->predict_proba(customers(), events(), as_of()); });
    if (!proba) proba = m->predict_proba(customers(), events(), std::nullopt);
  }
  const auto p = scored->column("probability").as_float64();
  check_probabilities(target, Vector(p), customers().num_rows());
  if (!same_bits(Vector(p), *proba)) fail(target, "score() and predict_proba() differ");
  refused_or([&] { return m->drift(customers()); });
}

void check_schema(const Json& doc) {
  const std::string target = "schema";
  auto s = refused_or([&] { return churn::data::Schema::from_json(doc); });
  if (!s) return;
  reload(target, *s);
  s->validate(customers());  // a report, never an exception: a churn::Error here is a violation
}

void check_buckets(const Json& doc) {
  const std::string target = "buckets";
  auto b = refused_or([&] { return churn::retention::RiskBuckets::from_json(doc); });
  if (!b) return;
  reload(target, *b);
  if (!b->is_fitted()) return;
  Vector s(7);
  s << 0.0, 0.1, 0.5, 0.9, 1.0, -1.0, 2.0;
  const churn::IntVector code = b->assign(s);
  for (Index i = 0; i < code.size(); ++i)
    if (code[i] < 0 || code[i] >= b->n_buckets()) fail(target, "a bucket outside [0, n_buckets)");
}

void check_json(const std::string& name, const Json& doc) {
  try {
    if (name == "gbdt") return check_tree_model<churn::tree::GBDTClassifier>(name, doc, true);
    if (name == "forest")
      return check_tree_model<churn::tree::RandomForestClassifier>(name, doc, false);
    if (name == "logistic") return check_logistic(doc);
    if (name == "kmeans") return check_kmeans(doc);
    if (name == "baseline") return check_baseline(doc);
    if (name == "pipeline") return check_pipeline(doc);
    if (name == "churn_model") return check_churn_model(doc);
    if (name == "schema") return check_schema(doc);
    if (name == "buckets") return check_buckets(doc);
  } catch (const churn::Error& e) {
    // a churn::Error after the load succeeded: the loaded object is not usable
    fail(name, std::string("a loaded object fails on probe input: ") + e.what());
  }
  throw std::invalid_argument("unknown fuzz target '" + name + "'");
}

/// A JSON loader target: the document as given, then 1-4 structured mutations of it (seeded
/// by the input bytes), so that byte-level and structure-level changes are both explored.
void run_json(const std::string& name, std::string_view text) {
  Json doc;
  try {
    doc = churn::parse_json(text);
  } catch (const churn::Error&) {
    return;
  }
  check_json(name, doc);
  std::uint64_t seed = 1469598103934665603ULL;  // FNV-1a of the bytes
  for (unsigned char ch : text) seed = (seed ^ ch) * 1099511628211ULL;
  std::mt19937_64 g(seed);
  for (int k = 0; k <= static_cast<int>(seed % 4); ++k) mutate_any(doc, g);
  check_json(name, doc);
}

// ---- the CSV reader (was fuzz_csv.cpp) ---------------------------------------------------------

struct CsvOutcome {
  std::optional<Table> table;
  std::string error;
};

CsvOutcome parse(std::string_view text, const churn::data::CsvOptions& o, std::size_t block) {
  churn::data::detail::csv_block_bytes_override() = block;
  CsvOutcome out;
  try {
    out.table = churn::data::parse_csv(text, o);
  } catch (const churn::Error& e) {
    out.error = e.what();
  }  // any other exception escapes
  churn::data::detail::csv_block_bytes_override() = 0;
  return out;
}

bool same_table(const Table& a, const Table& b) {
  if (a.num_rows() != b.num_rows() || a.num_columns() != b.num_columns()) return false;
  for (Index j = 0; j < a.num_columns(); ++j) {
    const auto& x = a.column(j);
    const auto& y = b.column(j);
    if (x.name() != y.name() || x.dtype() != y.dtype()) return false;
    for (Index i = 0; i < a.num_rows(); ++i)
      if (x.value_string(i) != y.value_string(i) || x.is_missing(i) != y.is_missing(i))
        return false;
  }
  return true;
}

/// The first byte picks the options, the rest is the CSV text. It parses or throws a
/// churn::Error, and the result (table or message) does not depend on the block size the
/// text is split into.
void run_csv(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return;
  const std::uint8_t flags = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  churn::data::CsvOptions o;
  o.header = (flags & 1) == 0;
  o.trim = (flags & 2) == 0;
  o.infer_int64 = (flags & 4) != 0;
  if (flags & 8) o.delimiter = ';';
  if (flags & 16) o.quote = '\0';
  o.n_threads = 1;
  const CsvOutcome whole = parse(text, o, 0);
  const CsvOutcome split = parse(text, o, 1 + (flags >> 5));
  if (whole.error != split.error)
    fail("csv",
         "the error depends on the block size: '" + whole.error + "' vs '" + split.error + "'");
  if (whole.table.has_value() != split.table.has_value() ||
      (whole.table && !same_table(*whole.table, *split.table)))
    fail("csv", "the table depends on the block size");
}

// ---- the retention rules (rules_fuzz.hpp, shared with tests/retention/test_rules.cpp) -------

/// An input whose first byte is odd is JSON text; one whose first byte is even seeds 1 to 8
/// structured mutations of a valid rule document.
void run_rules(const std::uint8_t* data, std::size_t size) {
  static const Table table = fuzz_table();
  if (size == 0) return;
  if (data[0] & 1) {
    Json doc;
    try {
      doc = churn::parse_json(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
    } catch (const churn::Error&) {
      return;
    }
    check_document(doc, table);
    return;
  }
  std::uint64_t seed = 1469598103934665603ULL;
  for (std::size_t i = 1; i < size; ++i) seed = (seed ^ data[i]) * 1099511628211ULL;
  std::mt19937_64 g(seed);
  Json doc = valid_rule_document();
  for (int k = 0; k <= (data[0] >> 1) % 8; ++k) churn_fuzz::mutate(doc, g);
  check_document(doc, table);
}

}  // namespace

const std::vector<std::string>& target_names() {
  static const std::vector<std::string> names = {"csv",      "rules",       "schema", "gbdt",
                                                 "forest",   "logistic",    "kmeans", "baseline",
                                                 "pipeline", "churn_model", "buckets"};
  return names;
}

void run_target(std::string_view name, const std::uint8_t* data, std::size_t size) {
  if (name == "csv") return run_csv(data, size);
  if (name == "rules") return run_rules(data, size);
  run_json(std::string(name), std::string_view(reinterpret_cast<const char*>(data), size));
}

}  // namespace churn_fuzz
