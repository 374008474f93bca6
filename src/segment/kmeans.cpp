// churn::segment::KMeans: parameters, input checks, restarts, prediction, JSON.
#include "churn/segment/kmeans.hpp"

#include <algorithm>  // std::max
#include <cmath>      // std::isfinite, std::sqrt
#include <utility>    // std::move
#include <vector>     // std::vector

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "common/checks.hpp"
#include "common/enum_names.hpp"
#include "common/json.hpp"
#include "common/params.hpp"
#include "segment/kmeans_detail.hpp"

namespace churn::segment {

using common::json_check_members;
using common::json_get;
using common::json_get_int;
using common::json_int_value;
using common::make_envelope;
using common::open_envelope;

namespace {

constexpr const char* kKind = "KMeans";
constexpr Index kStatBlock = 8192;

/// A matrix as a JSON array of rows.
Json matrix_to_json(const RowMatrix& M) {
  Json rows = Json::array();
  for (Index i = 0; i < M.rows(); ++i) {
    rows.push_back(std::vector<double>(M.row(i).data(), M.row(i).data() + M.cols()));
  }
  return rows;
}

/// A matrix from a JSON array of equally long rows of finite numbers.
RowMatrix matrix_from_json(const Json& j, const std::string& where) {
  CHURN_CHECK(j.is_array(), SerializationError, where << " must be an array of rows");
  const Index rows = static_cast<Index>(j.size());
  Index cols = -1;
  RowMatrix M;
  for (Index i = 0; i < rows; ++i) {
    const Json& r = j[static_cast<std::size_t>(i)];
    CHURN_CHECK(r.is_array(), SerializationError, where << ": row " << i << " is not an array");
    if (cols < 0) {
      cols = static_cast<Index>(r.size());
      M.resize(rows, cols);
    }
    CHURN_CHECK(static_cast<Index>(r.size()) == cols, SerializationError,
                where << ": row " << i << " has " << r.size() << " values, row 0 has " << cols);
    for (Index c = 0; c < cols; ++c) {
      const Json& v = r[static_cast<std::size_t>(c)];
      CHURN_CHECK(v.is_number(), SerializationError,
                  where << ": value (" << i << ", " << c << ") is not a number");
      M(i, c) = v.get<double>();
      CHURN_CHECK(std::isfinite(M(i, c)), SerializationError,
                  where << ": value (" << i << ", " << c << ") is not finite");
    }
  }
  return M;
}

/// One pass over X: whether every value is finite, the mean over the features of the
/// (population) variance of each column, and the largest row norm. Deterministic (fixed blocks
/// reduced in order); sums are taken around the first row for accuracy.
struct XStats {
  bool finite = true;
  double mean_variance = 0.0;
  double max_row_norm = 0.0;
};

XStats x_stats(const RowMatrixRef& X, int n_threads) {
  const Index n = X.rows();
  const Index d = X.cols();
  struct Part {
    Vector s, q;
    double max_sq = 0.0;
  };
  const Vector x0 = X.row(0).transpose();
  Part init{Vector::Zero(d), Vector::Zero(d), 0.0};
  const Part total = parallel_reduce(
      Index{0}, n, kStatBlock, init,
      [&](Index lo, Index hi) {
        Part p{Vector::Zero(d), Vector::Zero(d), 0.0};
        for (Index i = lo; i < hi; ++i) {
          const double* x = X.row(i).data();
          double r = 0.0;
          for (Index j = 0; j < d; ++j) {
            const double t = x[j] - x0[j];
            p.s[j] += t;
            p.q[j] += t * t;
            r += x[j] * x[j];
          }
          p.max_sq = std::max(p.max_sq, r);
        }
        return p;
      },
      [](Part a, const Part& b) {
        a.s += b.s;
        a.q += b.q;
        a.max_sq = std::max(a.max_sq, b.max_sq);
        return a;
      },
      n_threads);
  XStats st;
  st.finite = std::isfinite(total.q.sum()) && std::isfinite(total.s.sum());
  const double inv_n = 1.0 / static_cast<double>(n);
  double v = 0.0;
  for (Index j = 0; j < d; ++j) {
    const double m = total.s[j] * inv_n;
    v += std::max(0.0, total.q[j] * inv_n - m * m);
  }
  st.mean_variance = v / static_cast<double>(d);
  st.max_row_norm = std::sqrt(total.max_sq);
  return st;
}

/// The weights to use: ones when `sw` is empty; checked otherwise.
Vector checked_weights(const VectorRef& sw, Index n, const char* caller, int n_threads) {
  if (sw.size() == 0) return Vector::Ones(n);
  CHURN_CHECK(
      sw.size() == n, InvalidArgument,
      caller << ": sample_weight has " << sw.size() << " values but X has " << n << " rows");
  common::check_sample_weight(sw, n, caller, "sample_weight", n_threads);
  return sw;
}

}  // namespace

// ---- names ------------------------------------------------------------------------------------

namespace {

/// scikit-learn's init names, and "given" for init_centers.
constexpr common::EnumName<KMeansInit> kInitNames[] = {{KMeansInit::KMeansPlusPlus, "k-means++"},
                                                       {KMeansInit::Random, "random"},
                                                       {KMeansInit::Given, "given"}};

/// scikit-learn's algorithm names ("elkan" and "auto" run Hamerly's bounds, also exact).
constexpr common::EnumName<KMeansAlgorithm> kAlgorithmNames[] = {
    {KMeansAlgorithm::Lloyd, "lloyd"},
    {KMeansAlgorithm::Hamerly, "hamerly"},
    {KMeansAlgorithm::Hamerly, "elkan"},
    {KMeansAlgorithm::Hamerly, "auto"}};

}  // namespace

const char* kmeans_init_name(KMeansInit init) {
  return common::enum_name(kInitNames, init);
}

KMeansInit kmeans_init_from_name(const std::string& name) {
  return common::enum_from_name(kInitNames, name, "KMeansParams", "init");
}

const char* kmeans_algorithm_name(KMeansAlgorithm algorithm) {
  return common::enum_name(kAlgorithmNames, algorithm);
}

KMeansAlgorithm kmeans_algorithm_from_name(const std::string& name) {
  return common::enum_from_name(kAlgorithmNames, name, "KMeansParams", "algorithm");
}

// ---- parameters -------------------------------------------------------------------------------

void KMeansParams::validate() const {
  const char* who = "KMeansParams";
  CHURN_CHECK(n_clusters >= 1, InvalidArgument,
              who << ": n_clusters must be >= 1, got " << n_clusters);
  CHURN_CHECK(n_init >= 1, InvalidArgument, who << ": n_init must be >= 1, got " << n_init);
  CHURN_CHECK(max_iter >= 1, InvalidArgument, who << ": max_iter must be >= 1, got " << max_iter);
  CHURN_CHECK(std::isfinite(tol) && tol >= 0, InvalidArgument,
              who << ": tol must be finite and >= 0, got " << tol);
  check_n_threads(n_threads, who);
  if (init == KMeansInit::Given) {
    CHURN_CHECK(init_centers.rows() == n_clusters && init_centers.cols() >= 1, InvalidArgument,
                who << ": init 'given' needs init_centers of n_clusters=" << n_clusters
                    << " rows and >= 1 column, got " << init_centers.rows() << " x "
                    << init_centers.cols());
    CHURN_CHECK(init_centers.allFinite(), InvalidArgument, who << ": init_centers must be finite");
  } else {
    CHURN_CHECK(init_centers.size() == 0, InvalidArgument,
                who << ": init_centers is set but init is '" << kmeans_init_name(init)
                    << "'; use init 'given'");
  }
}

namespace {

/// init_centers: an array of rows in a saved file, present only when init is "given"; null
/// or an array of rows among keyword options.
struct CentersCodec {
  static constexpr bool optional = true;
  Json write(const RowMatrix& centers, common::ParamSource target) const {
    if (centers.size() != 0) return matrix_to_json(centers);
    return target == common::ParamSource::File ? Json(Json::value_t::discarded) : Json(nullptr);
  }
  void read(const Json& v, RowMatrix& centers, common::ParamSource source) const {
    if (v.is_null() && source == common::ParamSource::Options) {
      centers.resize(0, 0);
      return;
    }
    CHURN_CHECK(v.is_array(), TypeMismatch, "must be an array of rows, got " << v.dump());
    try {
      centers = matrix_from_json(v, "");
    } catch (const SerializationError& e) {
      std::string_view msg = e.what();  // matrix_from_json's message after its (empty) where
      while (!msg.empty() && (msg.front() == ':' || msg.front() == ' ')) msg.remove_prefix(1);
      CHURN_THROW(InvalidArgument, msg);
    }
  }
};

/// Every parameter, once: the one list to_json, from_json, to_options and from_options use.
template <class P, class F>
void visit_params(P& p, F&& f) {
  f("n_clusters", p.n_clusters);
  f("init", p.init, kmeans_init_name, kmeans_init_from_name);
  f("init_centers", p.init_centers, CentersCodec{});
  f("n_init", p.n_init);
  f("max_iter", p.max_iter);
  f("tol", p.tol);
  f("algorithm", p.algorithm, kmeans_algorithm_name, kmeans_algorithm_from_name);
  f("n_threads", p.n_threads);
  f("seed", p.seed);
}

/// visit_params as a functor, for common::read_params / write_params.
constexpr auto kVisit = [](auto& p, auto& f) { visit_params(p, f); };
/// A saved file lists every parameter and nothing else.
constexpr common::ReadRules kStrict{/*strict_file=*/true};

}  // namespace

Json KMeansParams::to_json() const {
  return common::write_params(*this, common::ParamSource::File, kVisit);
}

Json KMeansParams::to_options() const {
  return common::write_params(*this, common::ParamSource::Options, kVisit);
}

KMeansParams KMeansParams::from_json(const Json& j) {
  return common::read_params<KMeansParams>(j, common::ParamSource::File, "load(KMeans) params",
                                           kVisit, kStrict);
}

KMeansParams KMeansParams::from_options(const Json& options, std::string_view caller) {
  return common::read_params<KMeansParams>(options, common::ParamSource::Options, caller, kVisit);
}

// ---- model ------------------------------------------------------------------------------------

KMeans::KMeans(KMeansParams params) : params_(std::move(params)) {
  params_.validate();
}

void KMeans::set_params(const KMeansParams& params) {
  params.validate();
  params_ = params;
}

void KMeans::check_fitted(const char* caller) const {
  CHURN_CHECK(fitted_, NotFittedError,
              caller << ": this KMeans is not fitted yet; call fit() first");
}

void KMeans::check_input(const RowMatrixRef& X, const char* caller) const {
  check_fitted(caller);
  CHURN_CHECK(X.cols() == centers_.cols(), InvalidArgument,
              caller << ": X has " << X.cols() << " columns but the model was fitted on "
                     << centers_.cols());
  common::check_finite_matrix(X, feature_names_, caller, params_.n_threads);
}

KMeans& KMeans::fit(const data::Table& X, const FitOptions& options) {
  const char* who = "KMeans::fit(table)";
  const std::vector<std::string> names = X.column_names();
  CHURN_CHECK(options.feature_names.empty() || options.feature_names == names, InvalidArgument,
              who << ": feature_names must be empty or equal the table's column names");
  FitOptions named = options;
  named.feature_names = names;
  return fit(X.numeric_matrix(names, who, params_.n_threads), named);
}

KMeans& KMeans::fit(const RowMatrixRef& X, const FitOptions& options) {
  const char* who = "KMeans::fit()";
  const Index n = X.rows();
  const Index d = X.cols();
  const Vector& sample_weight = options.sample_weight;
  CHURN_CHECK(!options.eval_set, InvalidArgument, who << ": k-means takes no evaluation set");
  CHURN_CHECK(
      options.feature_names.empty() || static_cast<Index>(options.feature_names.size()) == d,
      InvalidArgument,
      who << ": feature_names has " << options.feature_names.size() << " names but X has " << d
          << " columns");
  const int k = params_.n_clusters;
  const int threads = params_.n_threads;
  CHURN_CHECK(n >= 1 && d >= 1, InvalidArgument,
              who << ": X must have at least one row and one column, got " << n << " x " << d);
  const XStats st = x_stats(X, threads);
  if (!st.finite) common::check_finite_matrix(X, {}, who, threads);  // throws naming the value
  const Vector w = checked_weights(sample_weight, n, who, threads);
  CHURN_CHECK(k <= n, InvalidArgument,
              who << ": n_clusters=" << k << " must be <= the number of rows, got " << n);
  if (params_.init == KMeansInit::Given) {
    CHURN_CHECK(
        params_.init_centers.cols() == d, InvalidArgument,
        who << ": init_centers has " << params_.init_centers.cols() << " columns but X has " << d);
  }

  detail::Problem p;
  p.X = X.data();
  p.n = n;
  p.d = d;
  p.stride = X.outerStride();
  p.w = w.data();
  p.n_threads = threads;
  p.max_iter = params_.max_iter;
  p.tol_abs = params_.tol * st.mean_variance;
  p.scale = st.max_row_norm;
  const Index distinct = detail::count_distinct_rows(p, k);
  CHURN_CHECK(distinct >= k, InvalidArgument,
              who << ": X has only " << distinct << " distinct rows of positive weight, fewer "
                  << "than n_clusters=" << k);

  const int runs = params_.init == KMeansInit::Given ? 1 : params_.n_init;
  detail::RunResult best;
  for (int r = 0; r < runs; ++r) {
    poll_stop();
    RowMatrix start;
    switch (params_.init) {
      case KMeansInit::KMeansPlusPlus:
        start = detail::init_kmeanspp(p, k, params_.seed, static_cast<std::uint64_t>(r));
        break;
      case KMeansInit::Random:
        start = detail::init_random(p, k, params_.seed, static_cast<std::uint64_t>(r));
        break;
      case KMeansInit::Given: start = params_.init_centers; break;
    }
    detail::RunResult res = detail::run_kmeans(p, start, params_.algorithm);
    if (r == 0 || res.inertia < best.inertia) best = std::move(res);
  }
  centers_ = std::move(best.centres);
  labels_ = Eigen::Map<const IntVector>(best.labels.data(), n);
  inertia_ = best.inertia;
  n_iter_ = best.n_iter;
  feature_names_ = options.feature_names;
  fitted_ = true;
  return *this;
}

RowMatrix KMeans::table_matrix(const data::Table& table, const char* caller) const {
  check_fitted(caller);
  CHURN_CHECK(static_cast<Index>(feature_names_.size()) == centers_.cols(), InvalidArgument,
              caller << ": the model has no feature names (fit it with feature_names, or on a "
                        "table) to find its columns in a table");
  return table.numeric_matrix(feature_names_, caller, params_.n_threads);
}

IntVector KMeans::predict(const data::Table& table) const {
  return predict(table_matrix(table, "KMeans::predict(table)"));
}

RowMatrix KMeans::transform(const data::Table& table) const {
  return transform(table_matrix(table, "KMeans::transform(table)"));
}

IntVector KMeans::predict(const RowMatrixRef& X) const {
  check_input(X, "KMeans::predict()");
  IntVector labels;
  detail::assign_all(X, centers_, params_.n_threads, &labels, nullptr, nullptr);
  return labels;
}

RowMatrix KMeans::transform(const RowMatrixRef& X) const {
  check_input(X, "KMeans::transform()");
  RowMatrix sq;
  detail::assign_all(X, centers_, params_.n_threads, nullptr, nullptr, &sq);
  return sq.cwiseSqrt();
}

double KMeans::score(const RowMatrixRef& X, const VectorRef& sample_weight) const {
  const char* who = "KMeans::score()";
  check_input(X, who);
  const Index n = X.rows();
  Vector w = sample_weight.size() == 0 ? Vector::Ones(n) : Vector(sample_weight);
  if (sample_weight.size() != 0) w = checked_weights(sample_weight, n, who, params_.n_threads);
  Vector min_sq;
  detail::assign_all(X, centers_, params_.n_threads, nullptr, &min_sq, nullptr);
  const double inertia = parallel_reduce(
      Index{0}, n, kStatBlock, 0.0,
      [&](Index lo, Index hi) {
        double s = 0.0;
        for (Index i = lo; i < hi; ++i) s += w[i] * min_sq[i];
        return s;
      },
      [](double a, double b) { return a + b; }, params_.n_threads);
  return -inertia;
}

const RowMatrix& KMeans::cluster_centers() const {
  check_fitted("KMeans::cluster_centers()");
  return centers_;
}
const IntVector& KMeans::labels() const {
  check_fitted("KMeans::labels()");
  return labels_;
}
double KMeans::inertia() const {
  check_fitted("KMeans::inertia()");
  return inertia_;
}
int KMeans::n_iter() const {
  check_fitted("KMeans::n_iter()");
  return n_iter_;
}
Index KMeans::n_features() const {
  check_fitted("KMeans::n_features()");
  return centers_.cols();
}

// ---- JSON -------------------------------------------------------------------------------------

Json KMeans::to_json() const {
  check_fitted("KMeans::to_json()");
  Json state = Json::object();
  state["n_features"] = centers_.cols();
  state["cluster_centers"] = matrix_to_json(centers_);
  state["labels"] = std::vector<std::int32_t>(labels_.data(), labels_.data() + labels_.size());
  state["inertia"] = inertia_;
  state["n_iter"] = n_iter_;
  if (!feature_names_.empty()) state["feature_names"] = feature_names_;
  return make_envelope(kKind, params_.to_json(), std::move(state));
}

KMeans KMeans::from_json(const Json& doc) {
  const Json& env = open_envelope(doc, kKind);
  const std::string where = "load(KMeans) state";
  KMeans m(KMeansParams::from_json(json_get<Json>(env, "params", "load(KMeans)")));
  const Json state = json_get<Json>(env, "state", "load(KMeans)");
  json_check_members(
      state, {"n_features", "cluster_centers", "labels", "inertia", "n_iter", "feature_names"},
      where);
  const auto n_features = json_get_int<Index>(state, "n_features", where);
  RowMatrix centers =
      matrix_from_json(json_get<Json>(state, "cluster_centers", where), where + ".cluster_centers");
  CHURN_CHECK(
      centers.rows() == m.params_.n_clusters && centers.cols() == n_features && n_features >= 1,
      SerializationError,
      where << ": cluster_centers is " << centers.rows() << " x " << centers.cols()
            << " but n_clusters is " << m.params_.n_clusters << " and n_features is "
            << n_features);
  const Json labels = json_get<Json>(state, "labels", where);
  CHURN_CHECK(labels.is_array(), SerializationError, where << ": labels must be an array");
  IntVector lab(static_cast<Index>(labels.size()));
  for (std::size_t i = 0; i < labels.size(); ++i) {
    std::int32_t v = -1;
    CHURN_CHECK(
        json_int_value(labels[i], v) && v >= 0 && v < m.params_.n_clusters, SerializationError,
        where << ": labels[" << i << "] must be an integer in [0, " << m.params_.n_clusters << ")");
    lab[static_cast<Index>(i)] = v;
  }
  const auto inertia = json_get<double>(state, "inertia", where);
  CHURN_CHECK(std::isfinite(inertia) && inertia >= 0, SerializationError,
              where << ": inertia must be finite and >= 0, got " << inertia);
  const auto n_iter = json_get_int<int>(state, "n_iter", where);
  CHURN_CHECK(n_iter >= 0, SerializationError, where << ": n_iter must be >= 0, got " << n_iter);
  std::vector<std::string> names;
  if (state.contains("feature_names")) {  // absent: unnamed (and in files before names)
    names = json_get<std::vector<std::string>>(state, "feature_names", where);
    CHURN_CHECK(static_cast<Index>(names.size()) == n_features, SerializationError,
                where << ": feature_names has " << names.size() << " names for " << n_features
                      << " features");
  }
  m.centers_ = std::move(centers);
  m.labels_ = std::move(lab);
  m.inertia_ = inertia;
  m.n_iter_ = n_iter;
  m.feature_names_ = std::move(names);
  m.fitted_ = true;
  return m;
}

void KMeans::set_feature_names(std::vector<std::string> names) {
  check_fitted("KMeans::set_feature_names()");
  CHURN_CHECK(names.empty() || static_cast<Index>(names.size()) == centers_.cols(), InvalidArgument,
              "KMeans::set_feature_names(): expected " << centers_.cols() << " names, got "
                                                       << names.size());
  feature_names_ = std::move(names);
}

void KMeans::save(const std::string& path) const {
  save_json_file(to_json(), path);
}

KMeans KMeans::load(const std::string& path) {
  return from_json(load_json_file(path));
}

}  // namespace churn::segment
