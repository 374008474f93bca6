// sweep_k: inertia and silhouette for a range of k.
#include "churn/segment/choose_k.hpp"

#include <cmath>    // std::isnan
#include <limits>   // std::numeric_limits
#include <utility>  // std::move

#include "churn/core/error.hpp"
#include "churn/segment/silhouette.hpp"
#include "common/json.hpp"

namespace churn::segment {

using common::json_from_double;

Json KSweep::to_json() const {
  Json sil = Json::array();
  for (double s : silhouette) sil.push_back(json_from_double(s));
  return Json{{"n_clusters", n_clusters},
              {"inertia", inertia},
              {"n_iter", n_iter},
              {"silhouette", std::move(sil)}};
}

KSweep sweep_k(const RowMatrixRef& X, const std::vector<int>& ks, const KMeansParams& base,
               const VectorRef& sample_weight, const KSweepOptions& options) {
  const char* who = "sweep_k()";
  CHURN_CHECK(!ks.empty(), InvalidArgument, who << ": ks is empty");
  CHURN_CHECK(base.init != KMeansInit::Given, InvalidArgument,
              who << ": base.init must be 'k-means++' or 'random' (given centres fit one k)");
  CHURN_CHECK(
      options.silhouette_sample_size >= 0, InvalidArgument,
      who << ": silhouette_sample_size must be >= 0, got " << options.silhouette_sample_size);
  for (int k : ks) {
    CHURN_CHECK(k >= 1, InvalidArgument, who << ": every k must be >= 1, got " << k);
  }
  KSweep out;
  FitOptions fit_options;
  fit_options.sample_weight = sample_weight;
  for (int k : ks) {
    KMeansParams p = base;
    p.n_clusters = k;
    KMeans km(p);
    try {
      km.fit(X, fit_options);
    } catch (const InvalidArgument& e) {
      CHURN_THROW(InvalidArgument, who << ": k=" << k << ": " << e.what());
    }
    out.n_clusters.push_back(k);
    out.inertia.push_back(km.inertia());
    out.n_iter.push_back(km.n_iter());
    double s = std::numeric_limits<double>::quiet_NaN();
    if (options.silhouette && k >= 2 && X.rows() >= 3) {
      const IntVector& lab = km.labels();
      // clusters may collapse on tiny data; silhouette needs 2..n-1 distinct labels
      try {
        s = silhouette_score(X, lab, options.silhouette_sample_size, options.silhouette_seed,
                             base.n_threads);
      } catch (const InvalidArgument&) {
        s = std::numeric_limits<double>::quiet_NaN();
      }
    }
    out.silhouette.push_back(s);
  }
  return out;
}

}  // namespace churn::segment
