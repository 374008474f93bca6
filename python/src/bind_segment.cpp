// Bindings of include/churn/segment (K-means, silhouette, choosing k, segment profiles) in the
// submodule _core._segment; python/churnlib/segment.py wraps them in scikit-learn's idiom.
#include <pybind11/eigen.h>  // Eigen <-> numpy
#include <pybind11/stl.h>    // std::vector <-> list

#include <cstdint>  // std::uint64_t
#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/segment/choose_k.hpp"
#include "churn/segment/kmeans.hpp"
#include "churn/segment/profile.hpp"
#include "churn/segment/silhouette.hpp"
#include "interrupt.hpp"

namespace churn::python {

namespace {

namespace seg = churn::segment;

py::dict profile_dict(const seg::SegmentProfile& s) {
  py::dict d;
  d["segment"] = s.segment;
  d["size"] = s.size;
  d["share"] = s.share;
  d["churn_rate"] = s.churn_rate;
  d["mean_score"] = s.mean_score;
  d["revenue"] = s.revenue;
  d["revenue_at_risk"] = s.revenue_at_risk;
  d["feature_means"] = Vector(s.feature_means);
  return d;
}

/// KMeans (the compiled core of churnlib.KMeans).
void bind_kmeans(py::module_& m) {
  py::class_<seg::KMeans>(m, "KMeans")
      .def(py::init([](const py::dict& options, const std::string& caller) {
             return seg::KMeans(
                 seg::KMeansParams::from_options(python_to_json(options, caller), caller));
           }),
           py::arg("options"), py::arg("caller") = "KMeans",
           "A model with the parameters a dict names (the others keep the C++ defaults); "
           "init_centers as None or a list of rows.")
      .def_static(
          "default_params", [] { return json_to_python(seg::KMeansParams().to_options()); },
          "The C++ defaults as a dict (the Python signature is checked against it).")
      .def(
          "fit",
          [](seg::KMeans& self, const RowMatrixRef& X, const VectorRef& w) -> seg::KMeans& {
            run_interruptible([&] {
              FitOptions options;
              options.sample_weight = w;
              self.fit(X, options);
            });
            return self;
          },
          py::arg("X"), py::arg("sample_weight"), py::return_value_policy::reference_internal)
      .def(
          "predict",
          [](const seg::KMeans& self, const RowMatrixRef& X) {
            py::gil_scoped_release release;
            return self.predict(X);
          },
          py::arg("X"))
      .def(
          "transform",
          [](const seg::KMeans& self, const RowMatrixRef& X) {
            py::gil_scoped_release release;
            return self.transform(X);
          },
          py::arg("X"))
      .def(
          "score",
          [](const seg::KMeans& self, const RowMatrixRef& X, const VectorRef& w) {
            py::gil_scoped_release release;
            return self.score(X, w);
          },
          py::arg("X"), py::arg("sample_weight"))
      .def_property_readonly("cluster_centers", &seg::KMeans::cluster_centers)
      .def_property_readonly("labels", &seg::KMeans::labels)
      .def_property_readonly("inertia", &seg::KMeans::inertia)
      .def_property_readonly("n_iter", &seg::KMeans::n_iter)
      .def_property_readonly("n_features", &seg::KMeans::n_features)
      .def_property_readonly("feature_names", &seg::KMeans::feature_names)
      .def("set_feature_names", &seg::KMeans::set_feature_names, py::arg("names"))
      .def_property_readonly("is_fitted", &seg::KMeans::is_fitted)
      .def_property_readonly(
          "params", [](const seg::KMeans& k) { return json_to_python(k.params().to_options()); },
          "The hyper-parameters as a dict (init_centers None or a list of rows).")
      .def("to_json", [](const seg::KMeans& k) { return k.to_json().dump(); })
      .def_static(
          "from_json",
          [](const std::string& text) { return seg::KMeans::from_json(parse_json(text)); },
          py::arg("text"))
      .def("save", &seg::KMeans::save, py::arg("path"))
      .def_static("load", &seg::KMeans::load, py::arg("path"));
}

/// silhouette_samples, silhouette_score and sweep_k: judging clusters and choosing k.
void bind_choose_k(py::module_& m) {
  m.def(
      "silhouette_samples",
      [](const RowMatrixRef& X, const IntVector& labels, NThreads n_threads) {
        py::gil_scoped_release release;
        return seg::silhouette_samples(X, labels, n_threads);
      },
      py::arg("X"), py::arg("labels"), py::arg("n_threads") = 0);
  m.def(
      "silhouette_score",
      [](const RowMatrixRef& X, const IntVector& labels, Index sample_size, std::uint64_t seed,
         NThreads n_threads) {
        py::gil_scoped_release release;
        return seg::silhouette_score(X, labels, sample_size, seed, n_threads);
      },
      py::arg("X"), py::arg("labels"), py::arg("sample_size") = 0, py::arg("seed") = 0,
      py::arg("n_threads") = 0);
  m.def(
      "sweep_k",
      [](const RowMatrixRef& X, const std::vector<int>& ks, const seg::KMeans& base,
         const VectorRef& w, bool silhouette, Index sample_size, std::uint64_t seed) {
        seg::KSweepOptions o;
        o.silhouette = silhouette;
        o.silhouette_sample_size = sample_size;
        o.silhouette_seed = seed;
        // k-means fits: Ctrl-C stops the sweep
        const seg::KSweep r =
            run_interruptible([&] { return seg::sweep_k(X, ks, base.params(), w, o); });
        py::dict d;
        d["n_clusters"] = r.n_clusters;
        d["inertia"] = r.inertia;
        d["n_iter"] = r.n_iter;
        d["silhouette"] = r.silhouette;
        return d;
      },
      py::arg("X"), py::arg("ks"), py::arg("base"), py::arg("sample_weight"), py::arg("silhouette"),
      py::arg("silhouette_sample_size"), py::arg("silhouette_seed"));
}

/// profile_segments.
void bind_profiles(py::module_& m) {
  m.def(
      "profile_segments",
      [](const RowMatrixRef& X, const IntVector& segments, const std::vector<std::string>& names,
         const VectorRef& churned, const VectorRef& score, const VectorRef& revenue,
         int n_segments) {
        seg::SegmentProfiles p;
        {
          py::gil_scoped_release release;
          p = seg::profile_segments(X, segments, names, churned, score, revenue, n_segments);
        }
        py::dict d;
        d["feature_names"] = p.feature_names;
        d["population"] = profile_dict(p.population);
        py::list segs;
        for (const auto& s : p.segments) segs.append(profile_dict(s));
        d["segments"] = segs;
        d["has_churn"] = p.has_churn;
        d["has_score"] = p.has_score;
        d["has_revenue"] = p.has_revenue;
        d["revenue_at_risk_basis"] = p.revenue_at_risk_basis;
        d["json"] = p.to_json().dump();
        d["text"] = p.to_string();
        return d;
      },
      py::arg("X"), py::arg("segments"), py::arg("feature_names"), py::arg("churned"),
      py::arg("score"), py::arg("revenue"), py::arg("n_segments") = 0);
}

}  // namespace

void bind_segment(py::module_& parent) {
  py::module_ m = parent.def_submodule(
      "_segment", "Compiled segmentation (use churnlib.KMeans and churnlib.segment).");
  bind_kmeans(m);
  bind_choose_k(m);
  bind_profiles(m);
}

}  // namespace churn::python
