#include "churn/features/pipeline.hpp"

#include <algorithm>      // std::find
#include <unordered_set>  // std::unordered_set
#include <utility>        // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "common/json.hpp"
#include "features/pipeline_steps.hpp"
#include "features/step_settings.hpp"

namespace churn::features {

using common::json_check_members;
using common::json_get;
using common::json_get_int;
using common::make_envelope;
using common::open_envelope;

using data::Column;
using data::DType;
using data::dtype_from_name;
using data::dtype_name;
using data::Table;

namespace detail {
namespace {

// ---- drop / select --------------------------------------------------------------------------

class Drop final : public ColumnsOnlyStep {
 public:
  explicit Drop(std::vector<std::string> columns) : ColumnsOnlyStep(std::move(columns)) {}
  std::unique_ptr<Step> clone() const override { return std::make_unique<Drop>(*this); }
  const char* type() const override { return "drop"; }
  std::vector<std::string> reads() const override { return {}; }
  std::vector<std::string> removes(const std::vector<std::string>& names) const override {
    std::vector<std::string> out;
    for (const auto& n : names)
      if (std::find(columns_.begin(), columns_.end(), n) != columns_.end()) out.push_back(n);
    return out;
  }
  void fit(const Table& t, int /*n_threads*/) override {
    for (const auto& name : columns_) find_column(t, name, label());
  }
  Table transform(const Table& t, int /*n_threads*/) const override {
    // a dropped column may be absent from new data
    std::vector<std::pair<std::string, std::vector<Column>>> replace;
    for (const auto& name : columns_) replace.push_back({name, {}});
    return rebuild_table(t, std::move(replace));
  }
  static std::unique_ptr<Step> read(const Json& j, common::ParamSource source,
                                    const std::string& who) {
    auto s = read_settings<ColumnSettings<NoParams>>(j, source, who);
    return make_drop(std::move(s.columns));
  }
};

class Select final : public ColumnsOnlyStep {
 public:
  explicit Select(std::vector<std::string> columns) : ColumnsOnlyStep(std::move(columns)) {}
  std::unique_ptr<Step> clone() const override { return std::make_unique<Select>(*this); }
  const char* type() const override { return "select"; }
  std::vector<std::string> reads() const override { return columns_; }
  std::vector<std::string> removes(const std::vector<std::string>& names) const override {
    std::vector<std::string> out;
    for (const auto& n : names)
      if (std::find(columns_.begin(), columns_.end(), n) == columns_.end()) out.push_back(n);
    return out;
  }
  void fit(const Table& t, int /*n_threads*/) override {
    for (const auto& name : columns_) find_column(t, name, label());
  }
  Table transform(const Table& t, int /*n_threads*/) const override {
    std::vector<Column> cols;
    for (const auto& name : columns_) cols.push_back(find_column(t, name, label()));
    return Table(std::move(cols));
  }
  static std::unique_ptr<Step> read(const Json& j, common::ParamSource source,
                                    const std::string& who) {
    auto s = read_settings<ColumnSettings<NoParams>>(j, source, who);
    return make_select(std::move(s.columns));
  }
};

}  // namespace

std::unique_ptr<Step> make_drop(std::vector<std::string> columns) {
  common::check_names(columns, "Pipeline::drop()", "columns");
  return std::make_unique<Drop>(std::move(columns));
}

std::unique_ptr<Step> make_select(std::vector<std::string> columns) {
  common::check_names(columns, "Pipeline::select()", "columns");
  return std::make_unique<Select>(std::move(columns));
}

std::unique_ptr<Step> step_from_settings(const std::string& type, const Json& settings,
                                         common::ParamSource source, const std::string& who) {
  if (type == "drop") return Drop::read(settings, source, who);
  if (type == "select") return Select::read(settings, source, who);
  if (auto s = numeric_step_from_settings(type, settings, source, who)) return s;
  if (auto s = categorical_step_from_settings(type, settings, source, who)) return s;
  if (source == common::ParamSource::File)
    CHURN_THROW(SerializationError, who << ": unknown step type '" << type << "'");
  CHURN_THROW(InvalidArgument, who << ": unknown step type '" << type
                                   << "' (one of: impute, clip, log1p, scale, bin, combine, "
                                      "one_hot, ordinal, drop, select)");
}

Json step_defaults(const std::string& type) {
  const auto options = [](const auto& s) { return settings_json(s, common::ParamSource::Options); };
  if (type == "impute") return options(ColumnSettings<ImputeParams>{});
  if (type == "clip") return options(ColumnSettings<ClipParams>{});
  if (type == "scale") return options(ColumnSettings<ScaleParams>{});
  if (type == "bin") return options(ColumnSettings<BinParams>{});
  if (type == "one_hot") return options(ColumnSettings<OneHotParams>{});
  if (type == "ordinal") return options(ColumnSettings<OrdinalParams>{});
  if (type == "combine") return options(CombineSettings{});
  if (type == "log1p" || type == "drop" || type == "select")
    return options(ColumnSettings<NoParams>{});
  CHURN_THROW(InvalidArgument, "Pipeline::step_defaults(): unknown step type '" << type << "'");
}

}  // namespace detail

// ---- Pipeline -----------------------------------------------------------------------------------

namespace {
constexpr const char* kKind = "FeaturePipeline";

/// Type groups that may stand in for each other at transform.
int dtype_group(DType t) {
  switch (t) {
    case DType::Float64:
    case DType::Int64: return 0;
    case DType::Categorical:
    case DType::String: return 1;
    case DType::Timestamp: return 2;
  }
  return 3;
}
}  // namespace

void PipelineParams::validate() const {
  check_n_threads(n_threads, "PipelineParams");
}

Pipeline::Pipeline(PipelineParams params) : params_(params) {
  params_.validate();
}
Pipeline::~Pipeline() = default;
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;

Pipeline::Pipeline(const Pipeline& other)
    : params_(other.params_),
      events_(other.events_ ? std::make_unique<EventJoin>(*other.events_) : nullptr),
      fitted_(other.fitted_),
      input_columns_(other.input_columns_),
      feature_names_out_(other.feature_names_out_),
      dtypes_out_(other.dtypes_out_),
      feature_sources_(other.feature_sources_) {
  for (const auto& s : other.steps_) steps_.push_back(s->clone());
}

Pipeline& Pipeline::operator=(const Pipeline& other) {
  if (this != &other) *this = Pipeline(other);
  return *this;
}

Pipeline& Pipeline::add(std::unique_ptr<detail::Step> step) {
  step->set_position(static_cast<Index>(steps_.size()));
  steps_.push_back(std::move(step));
  fitted_ = false;
  return *this;
}

Pipeline& Pipeline::impute(std::vector<std::string> columns, ImputeParams params) {
  return add(detail::make_impute(std::move(columns), std::move(params)));
}
Pipeline& Pipeline::clip(std::vector<std::string> columns, ClipParams params) {
  return add(detail::make_clip(std::move(columns), params));
}
Pipeline& Pipeline::log1p(std::vector<std::string> columns) {
  return add(detail::make_log1p(std::move(columns)));
}
Pipeline& Pipeline::scale(std::vector<std::string> columns, ScaleParams params) {
  return add(detail::make_scale(std::move(columns), params));
}
Pipeline& Pipeline::one_hot(std::vector<std::string> columns, OneHotParams params) {
  return add(detail::make_one_hot(std::move(columns), std::move(params)));
}
Pipeline& Pipeline::ordinal(std::vector<std::string> columns, OrdinalParams params) {
  return add(detail::make_ordinal(std::move(columns), params));
}
Pipeline& Pipeline::bin(std::vector<std::string> columns, BinParams params) {
  return add(detail::make_bin(std::move(columns), std::move(params)));
}
Pipeline& Pipeline::combine(std::string output, std::string a, CombineOp op, std::string b,
                            CombineParams params) {
  return add(detail::make_combine(std::move(output), std::move(a), op, std::move(b), params));
}
Pipeline& Pipeline::ratio(std::string output, std::string numerator, std::string denominator,
                          CombineParams params) {
  return combine(std::move(output), std::move(numerator), CombineOp::Divide, std::move(denominator),
                 params);
}
Pipeline& Pipeline::join_events(EventAggregationSpec spec, EventJoinParams params) {
  const char* who = "Pipeline::join_events()";
  CHURN_CHECK(events_ == nullptr, InvalidArgument,
              who << ": the pipeline already joins event features (at most one join_events)");
  CHURN_CHECK(steps_.empty(), InvalidArgument,
              who << ": join_events must come before every other step (the steps read its "
                     "columns); this pipeline already has "
                  << steps_.size() << " step(s)");
  spec.validate();
  params.validate();
  auto j = std::make_unique<EventJoin>();
  j->spec = std::move(spec);
  j->params = std::move(params);
  events_ = std::move(j);
  fitted_ = false;
  return *this;
}

const EventAggregationSpec& Pipeline::event_spec() const {
  CHURN_CHECK(events_ != nullptr, InvalidArgument,
              "Pipeline::event_spec(): this pipeline has no join_events()");
  return events_->spec;
}

const EventJoinParams& Pipeline::event_join_params() const {
  CHURN_CHECK(events_ != nullptr, InvalidArgument,
              "Pipeline::event_join_params(): this pipeline has no join_events()");
  return events_->params;
}

EventAggregationSpec Pipeline::EventJoin::transform_spec() const {
  EventAggregationSpec s = spec;
  s.event_types = fitted_types;
  return s;
}

Table Pipeline::join(const EventJoin& j, const Table& customers, const Table& events,
                     std::optional<std::int64_t> as_of, EventJoin* fitted, const char* caller) {
  const EventJoinParams& P = j.params;
  if (P.as_of_column.empty()) {
    CHURN_CHECK(as_of.has_value() && *as_of != kNaT, InvalidArgument,
                caller << ": this pipeline aggregates events as of one date (join_events without "
                          "as_of_column): pass as_of");
  } else {
    CHURN_CHECK(!as_of.has_value(), InvalidArgument,
                caller << ": each row's as-of comes from the column '" << P.as_of_column
                       << "' (join_events as_of_column): as_of must not be given");
  }
  const std::string& id = P.id_column.empty() ? j.spec.id_column : P.id_column;
  CHURN_CHECK(
      customers.has_column(id), InvalidArgument,
      caller << ": the customer table has no id column '" << id << "' (join_events id_column)");
  const EventAggregationSpec spec = fitted ? j.spec : j.transform_spec();
  EventAggregator agg = P.as_of_column.empty()
                            ? EventAggregator(spec, customers.column(id), *as_of)
                            : EventAggregator(spec, customers, P.as_of_column, id);
  agg.update(events);
  const Table f = agg.result();
  const Index keys = P.as_of_column.empty() ? 1 : 2;
  std::vector<std::string> names;
  std::vector<Column> cols = customers.columns();
  for (Index k = keys; k < f.num_columns(); ++k) {
    const Column& c = f.column(k);
    std::string name = P.prefix + c.name();
    CHURN_CHECK(!customers.has_column(name), InvalidArgument,
                caller << ": the event feature '" << name
                       << "' is also a column of the customer table; rename that column or "
                          "give the join a prefix");
    names.push_back(name);
    cols.push_back(P.prefix.empty() ? c : c.renamed(std::move(name)));
  }
  if (fitted) {
    fitted->fitted_types = agg.event_types();
    const bool per_type = spec.type_counts || spec.trends || spec.type_recency;
    CHURN_CHECK(!(per_type && spec.event_types.empty() && fitted->fitted_types.empty()),
                InvalidArgument,
                caller << ": no training event before the as-of has an event type, so no "
                          "per-type feature can be fixed for scoring; give event_types in the "
                          "spec");
    fitted->feature_names = std::move(names);
  } else {
    CHURN_CHECK(names == j.feature_names, InvalidArgument,
                caller << ": the event features differ from those of fit");
  }
  return Table(std::move(cols));
}

Pipeline& Pipeline::add_step(const std::string& type, const Json& options, std::string caller) {
  if (caller.empty()) caller = "Pipeline::add_step(" + type + ")";
  return add(detail::step_from_settings(type, options, common::ParamSource::Options, caller));
}

Json Pipeline::step_defaults(const std::string& type) {
  return detail::step_defaults(type);
}

Pipeline& Pipeline::drop(std::vector<std::string> columns) {
  return add(detail::make_drop(std::move(columns)));
}
Pipeline& Pipeline::select(std::vector<std::string> columns) {
  return add(detail::make_select(std::move(columns)));
}

void Pipeline::check_fitted(const char* caller) const {
  CHURN_CHECK(fitted_, NotFittedError,
              caller << ": this Pipeline is not fitted yet; call fit() first");
}

std::string Pipeline::step_type(Index i) const {
  CHURN_CHECK(i >= 0 && i < n_steps(), InvalidArgument,
              "Pipeline::step_type(): step " << i << " is out of range [0, " << n_steps() << ")");
  return steps_[static_cast<std::size_t>(i)]->type();
}

Json Pipeline::step_options(Index i) const {
  CHURN_CHECK(
      i >= 0 && i < n_steps(), InvalidArgument,
      "Pipeline::step_options(): step " << i << " is out of range [0, " << n_steps() << ")");
  return steps_[static_cast<std::size_t>(i)]->settings(common::ParamSource::Options);
}

std::vector<std::string> Pipeline::feature_names_in() const {
  check_fitted("Pipeline::feature_names_in()");
  std::vector<std::string> names;
  for (const auto& in : input_columns_) {
    const bool joined =
        events_ && std::find(events_->feature_names.begin(), events_->feature_names.end(),
                             in.name) != events_->feature_names.end();
    if (!joined) names.push_back(in.name);
  }
  return names;
}

Pipeline& Pipeline::fit(const Table& train) {
  fit_transform(train);
  return *this;
}

Table Pipeline::fit_transform(const Table& train) {
  CHURN_CHECK(events_ == nullptr, InvalidArgument,
              "Pipeline::fit(): this pipeline joins event features (join_events): fit it on the "
              "customer table, the event table and the as-of");
  return fit_steps(train);
}

Pipeline& Pipeline::fit(const Table& customers, const Table& events,
                        std::optional<std::int64_t> as_of) {
  fit_transform(customers, events, as_of);
  return *this;
}

Table Pipeline::fit_transform(const Table& customers, const Table& events,
                              std::optional<std::int64_t> as_of) {
  const char* who = "Pipeline::fit()";
  CHURN_CHECK(events_ != nullptr, InvalidArgument,
              who << ": this pipeline has no join_events(); fit it on one table");
  EventJoin j = *events_;  // committed only when every step fits
  Table out = fit_steps(join(*events_, customers, events, as_of, &j, who));
  *events_ = std::move(j);
  return out;
}

Table Pipeline::fit_steps(const Table& train) {
  // fit copies of the steps so a failure leaves this pipeline unchanged
  std::vector<std::unique_ptr<detail::Step>> steps;
  for (const auto& s : steps_) steps.push_back(s->clone());

  // which training columns transform needs: those a step reads, or that reach the output,
  // before a drop/select removes them
  std::vector<InputColumn> inputs;
  std::unordered_map<std::string, std::size_t> undecided;
  for (const auto& c : train.columns()) {
    undecided.emplace(c.name(), inputs.size());
    inputs.push_back({c.name(), c.dtype(), true});
  }

  Table t = train;
  for (auto& step : steps) {
    for (const auto& name : step->reads()) undecided.erase(name);
    for (const auto& name : step->removes(t.column_names())) {
      auto it = undecided.find(name);
      if (it != undecided.end()) {
        inputs[it->second].required = false;
        undecided.erase(it);
      }
    }
    step->fit(t, params_.n_threads);
    t = step->transform(t, params_.n_threads);
  }
  steps_ = std::move(steps);
  input_columns_ = std::move(inputs);
  feature_names_out_ = t.column_names();
  dtypes_out_.clear();
  for (const auto& c : t.columns()) dtypes_out_.push_back(c.dtype());
  trace_sources();
  fitted_ = true;
  return t;
}

Table Pipeline::replay(const Table& data) const {
  const char* who = "Pipeline::transform()";
  std::vector<Column> cols;
  cols.reserve(input_columns_.size());
  for (const auto& in : input_columns_) {
    const Column* found = data.get(in.name);
    if (found == nullptr) {
      CHURN_CHECK(!in.required, InvalidArgument,
                  who << ": column '" << in.name
                      << "' is missing from the input table (the fitted pipeline needs it)");
      continue;
    }
    const Column& c = *found;
    CHURN_CHECK(dtype_group(c.dtype()) == dtype_group(in.dtype), TypeMismatch,
                who << ": column '" << in.name << "' is " << dtype_name(c.dtype()) << " but was "
                    << dtype_name(in.dtype) << " in fit");
    cols.push_back(c);
  }
  Table t(std::move(cols));
  for (const auto& step : steps_) t = step->transform(t, params_.n_threads);
  CHURN_CHECK(t.num_columns() == static_cast<Index>(feature_names_out_.size()), InvalidArgument,
              who << ": the output has " << t.num_columns() << " columns, fit gave "
                  << feature_names_out_.size());
  for (std::size_t k = 0; k < feature_names_out_.size(); ++k) {
    const Column& c = t.column(static_cast<Index>(k));
    CHURN_CHECK(c.name() == feature_names_out_[k], InvalidArgument,
                who << ": output column " << k << " is '" << c.name() << "', fit gave '"
                    << feature_names_out_[k] << "'");
    CHURN_CHECK(c.dtype() == dtypes_out_[k], TypeMismatch,
                who << ": column '" << c.name() << "' is " << dtype_name(c.dtype())
                    << " in the output but was " << dtype_name(dtypes_out_[k])
                    << " in fit (a pass-through column changed type)");
  }
  return t;
}

Table Pipeline::transform(const Table& data) const {
  check_fitted("Pipeline::transform()");
  CHURN_CHECK(events_ == nullptr, InvalidArgument,
              "Pipeline::transform(): this pipeline joins event features (join_events): pass the "
              "customer table, the event table and the as-of");
  return replay(data);
}

Table Pipeline::transform(const Table& customers, const Table& events,
                          std::optional<std::int64_t> as_of) const {
  const char* who = "Pipeline::transform()";
  check_fitted(who);
  CHURN_CHECK(events_ != nullptr, InvalidArgument,
              who << ": this pipeline has no join_events(); transform one table");
  return replay(join(*events_, customers, events, as_of, nullptr, who));
}

RowMatrix Pipeline::transform_matrix(const Table& customers, const Table& events,
                                     std::optional<std::int64_t> as_of) const {
  return numeric_matrix(transform(customers, events, as_of), params_.n_threads);
}

RowMatrix Pipeline::numeric_matrix(const Table& t, int n_threads) {
  std::vector<const double*> src;
  for (const auto& c : t.columns())
    if (c.dtype() == DType::Float64) src.push_back(c.as_float64().data());
  const Index n = t.num_rows();
  const auto p = static_cast<Index>(src.size());
  RowMatrix X(n, p);
  if (p == 0) return X;
  // A transpose in tiles: 64 rows x all columns of the output (64 * p * 8 bytes, in L1/L2)
  // are filled column by column from contiguous reads, then left for good.
  const Index block = 4096, tile = 64;
  double* out = X.data();
  parallel_for_blocks(0, n, block, n * p < 262144 ? 1 : n_threads, [&](Index lo, Index hi) {
    for (Index r = lo; r < hi; r += tile) {
      const Index re = std::min(hi, r + tile);
      for (Index j = 0; j < p; ++j) {
        const double* x = src[static_cast<std::size_t>(j)];
        double* o = out + r * p + j;
        for (Index i = r; i < re; ++i, o += p) *o = x[i];
      }
    }
  });
  return X;
}

RowMatrix Pipeline::transform_matrix(const Table& data) const {
  return numeric_matrix(transform(data), params_.n_threads);
}

const std::vector<std::string>& Pipeline::feature_names_out() const {
  check_fitted("Pipeline::feature_names_out()");
  return feature_names_out_;
}

std::vector<std::string> Pipeline::required_input_columns() const {
  check_fitted("Pipeline::required_input_columns()");
  std::unordered_set<std::string> from_events;
  if (events_) from_events.insert(events_->feature_names.begin(), events_->feature_names.end());
  std::vector<std::string> out;
  for (const auto& in : input_columns_)
    if (in.required && from_events.count(in.name) == 0) out.push_back(in.name);
  if (events_) {  // the join reads the id (and as-of) column even when no step does
    const auto& P = events_->params;
    for (const std::string& key :
         {P.id_column.empty() ? events_->spec.id_column : P.id_column, P.as_of_column})
      if (!key.empty() && std::find(out.begin(), out.end(), key) == out.end()) out.push_back(key);
  }
  return out;
}

std::vector<std::string> Pipeline::numeric_feature_names_out() const {
  check_fitted("Pipeline::numeric_feature_names_out()");
  std::vector<std::string> out;
  for (std::size_t k = 0; k < feature_names_out_.size(); ++k)
    if (dtypes_out_[k] == DType::Float64) out.push_back(feature_names_out_[k]);
  return out;
}

// ---- JSON -------------------------------------------------------------------------------------

Json Pipeline::to_json() const {
  check_fitted("Pipeline::to_json()");
  Json steps = Json::array();
  for (const auto& s : steps_)
    steps.push_back(Json{{"type", s->type()},
                         {"params", s->settings(common::ParamSource::File)},
                         {"state", s->state_json()}});
  Json inputs = Json::array();
  for (const auto& in : input_columns_)
    inputs.push_back(
        Json{{"name", in.name}, {"dtype", dtype_name(in.dtype)}, {"required", in.required}});
  Json dtypes = Json::array();
  for (auto d : dtypes_out_) dtypes.push_back(dtype_name(d));
  Json state{{"steps", steps},
             {"input_columns", inputs},
             {"feature_names_out", feature_names_out_},
             {"dtypes_out", dtypes}};
  if (events_) {
    const EventJoin& j = *events_;
    state["join_events"] =
        Json{{"spec", j.spec.to_json()},        {"as_of_column", j.params.as_of_column},
             {"id_column", j.params.id_column}, {"prefix", j.params.prefix},
             {"event_types", j.fitted_types},   {"feature_names", j.feature_names}};
  }
  return make_envelope(kKind, Json{{"n_threads", params_.n_threads}}, std::move(state));
}

Pipeline Pipeline::from_json(const Json& doc) {
  const Json& env = open_envelope(doc, kKind);
  const std::string where = "load(FeaturePipeline)";
  try {
    const Json& pj = env["params"];
    json_check_members(pj, {"n_threads"}, where + " params");
    PipelineParams params;
    params.n_threads = json_get_int<int>(pj, "n_threads", where + " params");
    CHURN_CHECK(params.n_threads >= 0 && params.n_threads <= kMaxThreads, SerializationError,
                where << " params: n_threads must be between 0 and " << kMaxThreads);
    Pipeline p(params);

    const Json& state = env["state"];
    json_check_members(state,
                       {"steps", "input_columns", "feature_names_out", "dtypes_out", "join_events"},
                       where + " state");
    if (state.contains("join_events"))
      p.load_event_join(state["join_events"], where + " state.join_events");
    p.load_steps(json_get<Json>(state, "steps", where + " state"), where);
    p.load_columns(state, where + " state");

    // dry run on zero rows of the training schema: the steps must accept it and give exactly
    // the saved output columns
    std::vector<Column> cols;
    for (const auto& in : p.input_columns_) cols.push_back(detail::empty_column(in.name, in.dtype));
    p.fitted_ = true;
    p.replay(Table(std::move(cols)));
    p.trace_sources();  // not saved: recomputed, so files of every version give it
    return p;
  } catch (const SerializationError&) {
    throw;
  } catch (const std::exception& e) {
    throw SerializationError(where + ": the document is inconsistent: " + e.what());
  }
}

void Pipeline::load_event_join(const Json& jj, const std::string& w) {
  json_check_members(
      jj, {"spec", "as_of_column", "id_column", "prefix", "event_types", "feature_names"}, w);
  EventJoinParams jp;
  jp.as_of_column = json_get<std::string>(jj, "as_of_column", w);
  jp.id_column = json_get<std::string>(jj, "id_column", w);
  jp.prefix = json_get<std::string>(jj, "prefix", w);
  join_events(EventAggregationSpec::from_json(json_get<Json>(jj, "spec", w)), jp);
  EventJoin& j = *events_;
  j.fitted_types = detail::json_to_names(jj, "event_types", w, true);
  j.feature_names = detail::json_to_names(jj, "feature_names", w, true);
  CHURN_CHECK(j.spec.event_types.empty() || j.spec.event_types == j.fitted_types,
              SerializationError, w << ": event_types differ from the spec's");
  // the saved feature names must be what the spec gives (zero customers, no events)
  const EventAggregator probe(j.transform_spec(), Column::from_strings("id", {}), 0);
  std::vector<std::string> names = probe.feature_names();
  for (auto& n : names) n = jp.prefix + n;
  CHURN_CHECK(names == j.feature_names, SerializationError,
              w << ": feature_names are not those of the spec");
}

void Pipeline::load_steps(const Json& steps, const std::string& where) {
  CHURN_CHECK(steps.is_array(), SerializationError, where << " state: 'steps' must be a list");
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string w = where + " step " + std::to_string(i);
    json_check_members(steps[i], {"type", "params", "state"}, w);
    const auto type = json_get<std::string>(steps[i], "type", w);
    auto step = detail::step_from_settings(type, json_get<Json>(steps[i], "params", w),
                                           common::ParamSource::File, w + " (" + type + ") params");
    step->load_state(json_get<Json>(steps[i], "state", w), w + " (" + type + ") state");
    add(std::move(step));
  }
}

void Pipeline::load_columns(const Json& state, const std::string& where) {
  const Json inputs = json_get<Json>(state, "input_columns", where);
  CHURN_CHECK(inputs.is_array(), SerializationError, where << ": 'input_columns' must be a list");
  std::vector<std::string> input_names;
  for (const auto& in : inputs) {
    const std::string w = where + ".input_columns";
    json_check_members(in, {"name", "dtype", "required"}, w);
    InputColumn c;
    c.name = json_get<std::string>(in, "name", w);
    input_names.push_back(c.name);
    try {
      c.dtype = dtype_from_name(json_get<std::string>(in, "dtype", w));
    } catch (const InvalidArgument& e) {
      CHURN_THROW(SerializationError, w << ": " << e.what());
    }
    c.required = json_get<bool>(in, "required", w);
    input_columns_.push_back(std::move(c));
  }
  common::check_distinct<SerializationError>(input_names, where + ".input_columns",
                                             "the column names");
  feature_names_out_ = detail::json_to_names(state, "feature_names_out", where, true);
  const auto dtypes = json_get<std::vector<std::string>>(state, "dtypes_out", where);
  CHURN_CHECK(dtypes.size() == feature_names_out_.size(), SerializationError,
              where << ": dtypes_out must hold one type per output column");
  for (const auto& d : dtypes) dtypes_out_.push_back(dtype_from_name(d));
}

void Pipeline::save(const std::string& path) const {
  save_json_file(to_json(), path);
}

Pipeline Pipeline::load(const std::string& path) {
  return from_json(load_json_file(path));
}

}  // namespace churn::features
