// churn::model::ChurnModel: assembling the parts, scoring, reasons and drift.
#include "churn/model/churn_model.hpp"

#include <algorithm>  // std::sort
#include <chrono>     // std::chrono::system_clock
#include <cmath>      // std::isfinite
#include <numeric>    // std::iota
#include <utility>    // std::move

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/version.hpp"
#include "common/enum_names.hpp"
#include "common/json.hpp"
#include "model/engine.hpp"

namespace churn::model {

namespace {

constexpr common::EnumName<ModelKind> kKindNames[] = {{ModelKind::Logistic, "logistic"},
                                                      {ModelKind::RandomForest, "random_forest"},
                                                      {ModelKind::GBDT, "gbdt"}};

/// `v` if it is a JSON object, an empty object if it is null. @throws InvalidArgument otherwise.
Json object_or_empty(Json v, const char* what) {
  if (v.is_null()) return Json::object();
  CHURN_CHECK(v.is_object(), InvalidArgument,
              "ChurnModel::assemble(): " << what << " must be a JSON object, got " << v.dump());
  return v;
}

/// The prediction column: classes[1] where the probability reaches the threshold, else
/// classes[0], in the type of the labels (strings become a categorical column).
data::Column prediction_column(const Json& classes, const Vector& p, double threshold) {
  const Index n = p.size();
  if (classes[0].is_string()) {
    std::vector<std::int32_t> codes(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) codes[static_cast<std::size_t>(i)] = p[i] >= threshold ? 1 : 0;
    return data::Column::from_codes("prediction", std::move(codes),
                                    {classes[0].get<std::string>(), classes[1].get<std::string>()});
  }
  if (classes[0].is_number_float()) {
    std::vector<double> v(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i)
      v[static_cast<std::size_t>(i)] = classes[p[i] >= threshold ? 1 : 0].get<double>();
    return data::Column::from_float64("prediction", std::move(v));
  }
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    const Json& c = classes[p[i] >= threshold ? 1 : 0];
    v[static_cast<std::size_t>(i)] =
        c.is_boolean() ? (c.get<bool>() ? 1 : 0) : c.get<std::int64_t>();
  }
  return data::Column::from_int64("prediction", std::move(v));
}

/// Adds reason_k / reason_k_contribution columns: per row, the raw sources with the largest
/// positive contributions, in decreasing order (ties: the earlier source).
void add_reasons(data::Table& out, const RowMatrix& by_source,
                 const std::vector<std::string>& names, int n_reasons) {
  const Index n = by_source.rows();
  const auto r = static_cast<Index>(names.size());
  const auto k_max = static_cast<std::size_t>(n_reasons);
  std::vector<std::vector<std::int32_t>> codes(k_max, std::vector<std::int32_t>(n, -1));
  std::vector<std::vector<double>> values(k_max, std::vector<double>(n, std::nan("")));
  std::vector<Index> order(static_cast<std::size_t>(r));
  for (Index i = 0; i < n; ++i) {
    std::iota(order.begin(), order.end(), Index{0});
    const auto row = by_source.row(i);
    std::stable_sort(order.begin(), order.end(),
                     [&row](Index a, Index b) { return row[a] > row[b]; });
    for (std::size_t k = 0; k < k_max && k < order.size(); ++k) {
      const double v = row[order[k]];
      if (!(v > 0)) break;
      codes[k][static_cast<std::size_t>(i)] = static_cast<std::int32_t>(order[k]);
      values[k][static_cast<std::size_t>(i)] = v;
    }
  }
  for (std::size_t k = 0; k < k_max; ++k) {
    const std::string name = "reason_" + std::to_string(k + 1);
    out.add_column(data::Column::from_codes(name, std::move(codes[k]), names));
    out.add_column(data::Column::from_float64(name + "_contribution", std::move(values[k])));
  }
}

}  // namespace

const char* model_kind_name(ModelKind kind) {
  return common::enum_name(kKindNames, kind);
}

ModelKind model_kind_from_name(const std::string& name) {
  return common::enum_from_name(kKindNames, name, "ChurnModel", "kind");
}

void ScoreOptions::validate_options() const {
  CHURN_CHECK(n_reasons >= 0 && n_reasons <= 50, InvalidArgument,
              "ChurnModel::score(): n_reasons must be in [0, 50], got " << n_reasons);
}

ChurnModel::ChurnModel() = default;
ChurnModel::~ChurnModel() = default;
ChurnModel::ChurnModel(std::unique_ptr<detail::Engine> engine) : engine_(std::move(engine)) {}
ChurnModel::ChurnModel(const ChurnModel& other)
    : engine_(other.engine_ ? std::make_unique<detail::Engine>(*other.engine_) : nullptr) {}
ChurnModel& ChurnModel::operator=(const ChurnModel& other) {
  if (this != &other)
    engine_ = other.engine_ ? std::make_unique<detail::Engine>(*other.engine_) : nullptr;
  return *this;
}
ChurnModel::ChurnModel(ChurnModel&&) noexcept = default;
ChurnModel& ChurnModel::operator=(ChurnModel&&) noexcept = default;

ChurnModel ChurnModel::assemble(ChurnModelParts parts) {
  const char* caller = "ChurnModel::assemble()";
  CHURN_CHECK(parts.pipeline.is_fitted(), InvalidArgument,
              caller << ": the pipeline is not fitted");
  CHURN_CHECK(!std::isnan(parts.threshold), InvalidArgument,
              caller << ": threshold must be a number (+inf: nobody is predicted to churn)");
  parts.report = object_or_empty(std::move(parts.report), "report");
  parts.metadata = object_or_empty(std::move(parts.metadata), "metadata");
  parts.tags = object_or_empty(std::move(parts.tags), "tags");
  parts.threshold_info = object_or_empty(std::move(parts.threshold_info), "threshold_info");
  if (!parts.metadata.contains("library_version"))
    parts.metadata["library_version"] = churn::version_string;
  if (!parts.metadata.contains("created_at")) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    parts.metadata["created_at"] = format_timestamp(
        std::chrono::duration_cast<std::chrono::seconds>(now).count() * 1000000000LL);
  }
  auto engine = std::make_unique<detail::Engine>();
  engine->model = detail::model_from_json(parts.model, caller);
  engine->kind = detail::kind_of(engine->model);
  const auto& features = detail::feature_names_of(engine->model);
  CHURN_CHECK(!features.empty(), InvalidArgument,
              caller << ": the model has no feature names (fit it on a table or a named frame)");
  CHURN_CHECK(parts.feature_means.empty() || parts.feature_means.size() == features.size(),
              InvalidArgument,
              caller << ": feature_means has " << parts.feature_means.size() << " entries for "
                     << features.size() << " features");
  if (!parts.id_column.empty())
    CHURN_CHECK(parts.contract.has_column(parts.id_column), InvalidArgument,
                caller << ": id column '" << parts.id_column << "' is not in the contract");
  engine->parts = std::move(parts);
  detail::map_sources(*engine);
  return ChurnModel(std::move(engine));
}

const detail::Engine& ChurnModel::engine(const char* caller) const {
  CHURN_CHECK(engine_ != nullptr, NotFittedError,
              caller << ": this ChurnModel is empty; train it (train_churn_model) or load one");
  return *engine_;
}

data::ValidationReport ChurnModel::validate(const data::Table& customers) const {
  data::Table storage;
  return engine("ChurnModel::validate()")
      .parts.contract.validate(conformed(customers, storage, "ChurnModel::validate()"));
}

const data::Table& ChurnModel::conformed(const data::Table& customers, data::Table& storage,
                                         const char* caller) const {
  return detail::conform(customers, engine(caller).parts.contract, storage);
}

data::Table ChurnModel::features_of(const data::Table& customers, const data::Table* events,
                                    std::optional<std::int64_t> as_of, bool validate,
                                    const char* caller) const {
  const detail::Engine& e = engine(caller);
  const auto& pipe = e.parts.pipeline;
  CHURN_CHECK(
      pipe.joins_events() == (events != nullptr), InvalidArgument,
      caller << (pipe.joins_events() ? ": this model joins an event log; pass the events"
                                     : ": this model joins no event log; call it without events"));
  if (validate) {
    const data::ValidationReport report = e.parts.contract.validate(customers);
    CHURN_CHECK(
        report.ok(), SchemaError,
        caller << ": the customers break the model's data contract: " << report.to_string());
  }
  return events ? pipe.transform(customers, *events, as_of) : pipe.transform(customers);
}

Vector ChurnModel::raw_score(const data::Table& features) const {
  return detail::raw_score_of(engine("ChurnModel::raw_score()").model, features);
}

data::Table ChurnModel::score_features(const data::Table& customers, const data::Table& features,
                                       const ScoreOptions& options) const {
  const detail::Engine& e = *engine_;
  const Vector raw = detail::raw_score_of(e.model, features);
  const Vector p = e.parts.calibrator ? e.parts.calibrator->transform(raw)
                                      : detail::probability_from_raw(e.model, raw);
  data::Table out;
  if (!e.parts.id_column.empty()) out.add_column(customers.column(e.parts.id_column));
  out.add_column(data::Column::from_float64("probability",
                                            std::vector<double>(p.data(), p.data() + p.size())));
  out.add_column(prediction_column(classes(), p, e.parts.threshold));
  if (options.n_reasons > 0) {
    const RowMatrix contrib = detail::contributions_of(e.model, features, e.parts.feature_means);
    add_reasons(out, detail::sum_by_source(e, contrib), e.sources, options.n_reasons);
  }
  return out;
}

data::Table ChurnModel::score(const data::Table& customers, const ScoreOptions& options) const {
  options.validate_options();
  data::Table storage;
  const data::Table& c = conformed(customers, storage, "ChurnModel::score()");
  const data::Table f =
      features_of(c, nullptr, std::nullopt, options.validate, "ChurnModel::score()");
  return score_features(c, f, options);
}

data::Table ChurnModel::score(const data::Table& customers, const data::Table& events,
                              std::optional<std::int64_t> as_of,
                              const ScoreOptions& options) const {
  options.validate_options();
  data::Table storage;
  const data::Table& c = conformed(customers, storage, "ChurnModel::score()");
  const data::Table f = features_of(c, &events, as_of, options.validate, "ChurnModel::score()");
  return score_features(c, f, options);
}

Vector ChurnModel::predict_proba(const data::Table& customers, bool validate) const {
  data::Table storage;
  const data::Table f = features_of(conformed(customers, storage, "ChurnModel::predict_proba()"),
                                    nullptr, std::nullopt, validate, "ChurnModel::predict_proba()");
  const Vector raw = detail::raw_score_of(engine_->model, f);
  return engine_->parts.calibrator ? engine_->parts.calibrator->transform(raw)
                                   : detail::probability_from_raw(engine_->model, raw);
}

Vector ChurnModel::predict_proba(const data::Table& customers, const data::Table& events,
                                 std::optional<std::int64_t> as_of, bool validate) const {
  data::Table storage;
  const data::Table f = features_of(conformed(customers, storage, "ChurnModel::predict_proba()"),
                                    &events, as_of, validate, "ChurnModel::predict_proba()");
  const Vector raw = detail::raw_score_of(engine_->model, f);
  return engine_->parts.calibrator ? engine_->parts.calibrator->transform(raw)
                                   : detail::probability_from_raw(engine_->model, raw);
}

monitor::DriftReport ChurnModel::completed(monitor::DriftReport report,
                                           const data::Table& customers, const Vector& p) const {
  const auto& importance = engine_->parts.feature_importance;
  std::map<std::string, double> known;
  double total = 0.0;
  for (const auto& f : report.features()) {
    const auto it = importance.find(f.feature);
    if (it == importance.end()) continue;
    known.insert(*it);
    total += it->second;
  }
  if (total > 0.0) report.weight_by_importance(known);
  const auto& parts = engine_->parts;
  if (parts.performance_reference && p.size() > 0)
    report.set_estimated_performance(
        parts.performance_reference->estimate(p, {0, static_cast<Index>(p.size())}, {"current"}));
  if (parts.reconstruction) report.set_reconstruction(parts.reconstruction->compare(customers));
  return report;
}

monitor::DriftReport ChurnModel::drift(const data::Table& customers) const {
  const auto& base = engine("ChurnModel::drift()").parts.baseline;
  CHURN_CHECK(base.is_fitted(), NotFittedError, "ChurnModel::drift(): the model holds no baseline");
  const Vector p = predict_proba(customers);
  data::Table storage;
  const data::Table& c = conformed(customers, storage, "ChurnModel::drift()");
  return completed(base.compare(c.select(base.feature_names()), base.has_score() ? p : Vector()), c,
                   p);
}

monitor::DriftReport ChurnModel::drift(const data::Table& customers, const data::Table& events,
                                       std::optional<std::int64_t> as_of) const {
  const auto& base = engine("ChurnModel::drift()").parts.baseline;
  CHURN_CHECK(base.is_fitted(), NotFittedError, "ChurnModel::drift(): the model holds no baseline");
  const Vector p = predict_proba(customers, events, as_of);
  data::Table storage;
  const data::Table& c = conformed(customers, storage, "ChurnModel::drift()");
  return completed(base.compare(c.select(base.feature_names()), base.has_score() ? p : Vector()), c,
                   p);
}

ModelKind ChurnModel::kind() const {
  return engine("ChurnModel::kind()").kind;
}
const data::Schema& ChurnModel::contract() const {
  return engine("ChurnModel::contract()").parts.contract;
}
const features::Pipeline& ChurnModel::pipeline() const {
  return engine("ChurnModel::pipeline()").parts.pipeline;
}
Json ChurnModel::model_json() const {
  return engine("ChurnModel::model_json()").parts.model;
}
const metrics::Calibrator* ChurnModel::calibrator() const {
  const auto& c = engine("ChurnModel::calibrator()").parts.calibrator;
  return c ? &*c : nullptr;
}
double ChurnModel::threshold() const {
  return engine("ChurnModel::threshold()").parts.threshold;
}
const Json& ChurnModel::threshold_info() const {
  return engine("ChurnModel::threshold_info()").parts.threshold_info;
}
const monitor::Baseline& ChurnModel::baseline() const {
  return engine("ChurnModel::baseline()").parts.baseline;
}
const monitor::PerformanceEstimator* ChurnModel::performance_reference() const {
  const auto& r = engine("ChurnModel::performance_reference()").parts.performance_reference;
  return r ? &*r : nullptr;
}
const monitor::PcaDrift* ChurnModel::reconstruction() const {
  const auto& r = engine("ChurnModel::reconstruction()").parts.reconstruction;
  return r ? &*r : nullptr;
}
const std::map<std::string, double>& ChurnModel::feature_importance() const {
  return engine("ChurnModel::feature_importance()").parts.feature_importance;
}
const std::string& ChurnModel::id_column() const {
  return engine("ChurnModel::id_column()").parts.id_column;
}
const Json& ChurnModel::report() const {
  return engine("ChurnModel::report()").parts.report;
}
const Json& ChurnModel::metadata() const {
  return engine("ChurnModel::metadata()").parts.metadata;
}
const Json& ChurnModel::tags() const {
  return engine("ChurnModel::tags()").parts.tags;
}
void ChurnModel::set_tags(Json tags) {
  engine("ChurnModel::set_tags()");
  CHURN_CHECK(tags.is_object(), InvalidArgument,
              "ChurnModel::set_tags(): tags must be a JSON object, got " << tags.dump());
  engine_->parts.tags = std::move(tags);
}
const std::vector<std::string>& ChurnModel::feature_names() const {
  return detail::feature_names_of(engine("ChurnModel::feature_names()").model);
}
Json ChurnModel::classes() const {
  return std::visit([](const auto& m) { return m.classes(); },
                    engine("ChurnModel::classes()").model);
}

}  // namespace churn::model
