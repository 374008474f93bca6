#pragma once
/// @file pipeline.hpp
/// `churn::features::Pipeline`: a fitted, replayable, saveable chain of column transformers.
///
/// A pipeline is an ordered list of steps. `fit(train)` fits each step on the output of the
/// steps before it; `transform(data)` replays the fitted steps on new data. Each step selects
/// its input columns by name; every other column passes through unchanged, in place.
///
/// | step          | input                    | output                                           |
/// |---------------|--------------------------|--------------------------------------------------|
/// | `impute`      | numeric / categorical    | same column filled (+ `<col>_missing`)           |
/// | `clip`        | numeric                  | float64 clipped to fitted quantiles              |
/// | `log1p`       | numeric, all > -1        | float64 `log1p(x)`                               |
/// | `scale`       | numeric                  | float64 `(x - mean) / std`                       |
/// | `one_hot`     | categorical / string     | float64 0/1 columns `<col>_<category>`           |
/// | `ordinal`     | categorical / string     | float64 codes (or categorical), unknown missing  |
/// | `bin`         | numeric                  | float64 bin index or categorical labels          |
/// | `combine`     | two numeric columns      | new float64 column `a op b` (safe division)      |
/// | `drop`        | any                      | the columns removed                              |
/// | `select`      | any                      | only these columns, in this order                |
///
/// "numeric" is float64 or int64 (int64 missing values become NaN); "categorical / string" is
/// a categorical or a string column. At transform a column may switch between the two types
/// of its group (a float64 column where training had int64), but not across groups; a column
/// that passes through to the output must keep its exact type, and impute's categorical
/// columns must be categorical (not string) in fit and transform.
///
/// The output of transform always has the columns of feature_names_out(), in that order:
/// columns of new data that training did not have are left out; a training column that
/// reaches the output (or a step reads) but is missing from new data is an error. A column
/// that a `drop` or `select` removes before any step reads it may be absent.
///
/// **Event features.** `join_events(spec)` makes the pipeline start from two tables: a
/// customer table and an event log. fit and transform then first aggregate the events per
/// customer row (EventAggregator, point in time: only events before the row's as-of count) and
/// append the event features after the customer columns, in the customer rows' order; the
/// steps see one table and can impute, scale or combine event features like any column. The
/// as-of comes from a Timestamp column of the customer table (training snapshots) or is given
/// to each fit/transform call (scoring "as of today"). When the spec lists no event types,
/// fit fixes them to the types found in the training events, so that scoring data gets the
/// same columns; the saved pipeline holds the spec.
///
/// Transform is `const` and thread-safe; it runs column at a time over contiguous data,
/// parallel over (column, row block) pairs, and its results do not depend on the thread count.

#include <cstdint>   // std::int64_t
#include <memory>    // std::unique_ptr
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/features/aggregate.hpp"
#include "churn/features/transformers.hpp"

namespace churn::features {

/// How Pipeline::join_events places event features on the customer table.
struct EventJoinParams {
  /// Timestamp column of the customer table holding each row's as-of (training snapshots;
  /// it stays in the table, drop it with a step). Empty: the as-of is given to each fit /
  /// transform call instead.
  std::string as_of_column;
  /// Customer-id column of the customer table; empty = the spec's `id_column` (the event
  /// table's). Its type must match the event table's id column (text or integer).
  std::string id_column;
  /// Put in front of every event feature name (e.g. "events_"), to keep them apart from
  /// customer columns of the same name; empty: the aggregator's names.
  std::string prefix;

  /// @throws InvalidArgument naming the field (always valid today: present for symmetry).
  void validate() const {}
};

namespace detail {
class Step;
}  // namespace detail

/// Settings of a Pipeline.
struct PipelineParams {
  /// Threads for fit and transform: 0 = all cores, > 0 that many. Results do not depend on it.
  int n_threads = 0;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
};

/// A fitted, replayable chain of column transformers (see pipeline.hpp).
///
/// @code
/// using namespace churn::features;
/// ImputeParams median;             // strategy Median
/// median.add_indicator = true;     // + tenure_missing, monthly_charges_missing
/// Pipeline pipe;
/// pipe.impute({"tenure", "monthly_charges"}, median)
///     .clip({"monthly_charges"}, {0.01, 0.99})
///     .ratio("charges_per_month", "total_charges", "tenure")
///     .log1p({"total_charges"})
///     .scale({"tenure", "monthly_charges"})
///     .one_hot({"contract"}, {UnknownCategory::Other, 20})
///     .drop({"customer_id"});
/// churn::data::Table train_features = pipe.fit_transform(train);
/// churn::RowMatrix X = pipe.transform_matrix(test);   // float64 columns, for the models
/// pipe.save("features.json");                          // Pipeline::load replays bit-identically
/// @endcode
///
/// Thread safety: the const members (transform*, to_json, save, accessors) may run concurrently on
/// one object from any number of threads; fit, fit_transform and the step builders need exclusive
/// access. Distinct objects are independent.
class Pipeline {
 public:
  /// An empty pipeline (no steps). @throws InvalidArgument if `params` is invalid.
  explicit Pipeline(PipelineParams params = {});
  ~Pipeline();
  /// Deep copy (steps and their fitted state).
  Pipeline(const Pipeline& other);
  Pipeline& operator=(const Pipeline& other);
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;

  /// @name Adding steps
  /// Each appends one step and returns `*this`; adding a step makes the pipeline unfitted.
  /// Column lists must be non-empty, without repeats or empty names.
  /// @throws InvalidArgument for invalid settings or column lists (naming the field).
  ///@{
  /// Fills missing values (see ImputeParams).
  Pipeline& impute(std::vector<std::string> columns, ImputeParams params = {});
  /// Clips numeric columns to fitted quantiles (see ClipParams).
  Pipeline& clip(std::vector<std::string> columns, ClipParams params = {});
  /// `log1p(x)`; transform throws InvalidArgument naming the column and row for `x <= -1`
  /// (NaN stays NaN).
  Pipeline& log1p(std::vector<std::string> columns);
  /// Standard scaling (see ScaleParams).
  Pipeline& scale(std::vector<std::string> columns, ScaleParams params = {});
  /// One-hot encoding (see OneHotParams).
  Pipeline& one_hot(std::vector<std::string> columns, OneHotParams params = {});
  /// Ordinal codes (see OrdinalParams).
  Pipeline& ordinal(std::vector<std::string> columns, OrdinalParams params = {});
  /// Binning (see BinParams).
  Pipeline& bin(std::vector<std::string> columns, BinParams params = {});
  /// A new float64 column `output = a <op> b` (see CombineParams).
  Pipeline& combine(std::string output, std::string a, CombineOp op, std::string b,
                    CombineParams params = {});
  /// `combine(output, numerator, Divide, denominator, params)`: safe division.
  Pipeline& ratio(std::string output, std::string numerator, std::string denominator,
                  CombineParams params = {});
  /// Aggregates an event log per customer row and appends the features (see pipeline.hpp).
  /// Must come before every other step, at most once; `spec` is validated. fit and transform
  /// then need the event table (the two-table overloads).
  Pipeline& join_events(EventAggregationSpec spec, EventJoinParams params = {});
  /// Removes columns.
  Pipeline& drop(std::vector<std::string> columns);
  /// Appends a step of `type` ("impute", "clip", "log1p", "scale", "one_hot", "ordinal",
  /// "bin", "combine", "drop", "select") from keyword options: its operands ("columns", or
  /// "output", "a", "op", "b" for combine) and any of its *Params fields by name (the others
  /// keep their defaults; see step_defaults). This is how the Python binding builds steps.
  /// @throws TypeMismatch for a missing operand, an unknown setting or a value of the wrong
  ///         JSON type; InvalidArgument for an unknown type or an invalid value (as the typed
  ///         builder methods).
  /// Messages name `caller` (default "Pipeline::add_step(<type>)").
  Pipeline& add_step(const std::string& type, const Json& options, std::string caller = "");
  /// The keyword options of a step type with their defaults (operands empty).
  /// @throws InvalidArgument for an unknown type.
  static Json step_defaults(const std::string& type);
  /// Keeps only these columns, in this order.
  Pipeline& select(std::vector<std::string> columns);
  ///@}

  /// Fits every step on `train` (each on the previous steps' output).
  /// @return `*this`.
  /// @throws InvalidArgument / TypeMismatch naming the step and column (a missing column, a
  ///         wrong type, a numeric column without values, an output name that exists); the
  ///         pipeline is then left unchanged.
  Pipeline& fit(const data::Table& train);
  /// fit(train), then the transformed training table (computed once).
  data::Table fit_transform(const data::Table& train);
  /// Fits a pipeline that joins event features (join_events): `customers` is the customer
  /// table, `events` the event log, `as_of` the as-of time in ns since 1970 UTC (exactly when
  /// EventJoinParams::as_of_column is empty; `std::nullopt` otherwise).
  /// @throws InvalidArgument for a pipeline without join_events, an as-of given or missing
  ///         against the join's settings, an event feature whose name is already a customer
  ///         column, and everything fit(train) and EventAggregator throw.
  Pipeline& fit(const data::Table& customers, const data::Table& events,
                std::optional<std::int64_t> as_of);
  /// fit(customers, events, as_of), then the transformed table (computed once).
  data::Table fit_transform(const data::Table& customers, const data::Table& events,
                            std::optional<std::int64_t> as_of);

  /// Replays the fitted steps on `data`.
  /// @throws NotFittedError before fit; InvalidArgument naming the column when a needed column
  ///         is missing or holds a value a step rejects (an unseen category under
  ///         UnknownCategory::Error, `x <= -1` in log1p); TypeMismatch naming the column when
  ///         a column has a type of the wrong group.
  data::Table transform(const data::Table& data) const;
  /// Replays a pipeline that joins event features on a customer table and its event log,
  /// with the as-of rule of fit (see fit(customers, events, as_of)).
  /// @throws as transform(data), and InvalidArgument for a pipeline without join_events or an
  ///         as-of given or missing against the join's settings.
  data::Table transform(const data::Table& customers, const data::Table& events,
                        std::optional<std::int64_t> as_of) const;
  /// transform(data), then the row-major matrix of its float64 columns (see numeric_matrix).
  RowMatrix transform_matrix(const data::Table& data) const;
  /// transform(customers, events, as_of), then the matrix of its float64 columns.
  RowMatrix transform_matrix(const data::Table& customers, const data::Table& events,
                             std::optional<std::int64_t> as_of) const;
  /// The float64 columns of `t` as a row-major matrix, in column order (what the models take).
  static RowMatrix numeric_matrix(const data::Table& t, int n_threads = 0);

  /// Names of the output columns, in order. @throws NotFittedError before fit.
  const std::vector<std::string>& feature_names_out() const;
  /// Names of the output's float64 columns (the columns of transform_matrix), in order.
  /// @throws NotFittedError before fit.
  std::vector<std::string> numeric_feature_names_out() const;
  /// The columns transform reads from its input (for a pipeline that joins events: from the
  /// customer table), in training order: those a step reads or that reach the output. Other
  /// columns of new data are ignored, so a caller converting data may skip them.
  /// @throws NotFittedError before fit.
  std::vector<std::string> required_input_columns() const;
  /// Number of steps.
  Index n_steps() const { return static_cast<Index>(steps_.size()); }
  /// The type of step `i` ("impute", "clip", ...). @throws InvalidArgument if out of range.
  std::string step_type(Index i) const;
  /// The settings of step `i` as keyword options: its columns and parameters, by the names of
  /// its `*Params` struct (as saved in `params`, but doubles as numbers, infinite ones too).
  /// @throws InvalidArgument if out of range.
  Json step_options(Index i) const;
  /// The columns of the table fit() was given, in order (the event features that
  /// join_events adds are not among them). @throws NotFittedError before fit.
  std::vector<std::string> feature_names_in() const;

  /// @name Where the output columns come from
  /// To explain a score in terms of the raw customer columns: a model's per-feature
  /// contributions (TreeSHAP, coefficient times value) summed onto the columns they came from.
  ///@{
  /// For each column of feature_names_out(), in order, the raw input columns it is computed
  /// from, in the order of the training input: a column changed in place (impute, clip, log1p,
  /// scale, ordinal, bin) or passed through comes from itself; `<col>_missing`, `<col>_<cat>`
  /// and a suffixed bin from `<col>`; a combine's output from the sources of both operands;
  /// chains compose (a ratio of an imputed column and a one-hot column lists both raw
  /// columns). The raw columns are those of the table given to fit; for a pipeline that joins
  /// events, an event feature's source is the event feature itself, by its joined name (with
  /// the prefix, e.g. `login_count_30d`): that is the "reason" an analyst reads, where the
  /// event log as a whole would say nothing. Computed at fit and recomputed on load (files
  /// saved before this accessor existed give the same answer).
  /// @throws NotFittedError before fit.
  std::vector<std::vector<std::string>> feature_sources() const;
  /// The raw input columns that at least one column of transform_matrix (a float64 output
  /// column) comes from, in training input order: the columns of contributions_by_source.
  /// @throws NotFittedError before fit.
  std::vector<std::string> source_columns() const;
  /// Sums per-feature contributions onto the raw input columns they come from.
  ///
  /// `contrib` is n x p, one column per column of transform_matrix (numeric_feature_names_out,
  /// p of them), as a model fitted on that matrix explains it (TreeSHAP values, `coef * x`),
  /// or n x (p + 1) with a bias column last (GBDT::predict_contrib's layout). The result is
  /// n x r, one column per source_columns() entry (r of them), plus the bias column copied
  /// last when given. A feature computed from m raw columns (a combine of two columns) adds
  /// `contrib / m` to each: the pipeline's transforms are fixed functions whose inner
  /// attribution the model's explanation does not know, and an equal split is the symmetric
  /// choice that does not depend on the row (a Shapley split of a feature that needs all of
  /// its inputs), so every row keeps its sum: sum over the result's columns = sum over
  /// `contrib`'s columns (bias included), up to rounding. Rows are independent; a NaN stays
  /// in the row's sources. Parallel over row blocks; results do not depend on the threads.
  /// @throws NotFittedError before fit; InvalidArgument naming the expected and the given
  ///         width when `contrib` has neither p nor p + 1 columns.
  RowMatrix contributions_by_source(const RowMatrixRef& contrib) const;
  ///@}
  /// Whether the pipeline joins event features (join_events).
  bool joins_events() const { return events_ != nullptr; }
  /// The event spec of join_events (after fit: with the event types fixed).
  /// @throws InvalidArgument without join_events.
  const EventAggregationSpec& event_spec() const;
  /// The settings of join_events. @throws InvalidArgument without join_events.
  const EventJoinParams& event_join_params() const;
  /// Whether fit has been called since the last step was added (or the pipeline was loaded).
  bool is_fitted() const { return fitted_; }
  /// The settings.
  const PipelineParams& params() const { return params_; }

  /// The fitted pipeline as a JSON envelope of kind "FeaturePipeline": every step's settings
  /// and fitted statistics, the training input columns and the output names.
  /// @throws NotFittedError before fit.
  Json to_json() const;
  /// A pipeline from to_json() output; it transforms bit-identically to the saved one.
  /// @throws SerializationError for a damaged document (naming what is wrong), another kind,
  ///         a newer major version or an unknown member.
  static Pipeline from_json(const Json& doc);
  /// Writes to_json() to `path` atomically. @throws NotFittedError, IOError.
  void save(const std::string& path) const;
  /// Reads a pipeline written by save(). @throws IOError, SerializationError.
  static Pipeline load(const std::string& path);

 private:
  /// One column of the training input: its name, its type and whether transform needs it.
  struct InputColumn {
    std::string name;
    data::DType dtype = data::DType::Float64;
    bool required = true;
  };

  /// The join_events stage: its settings and the event feature names fit produced.
  struct EventJoin {
    EventAggregationSpec spec;  ///< as given (event_types may be empty)
    EventJoinParams params;
    std::vector<std::string> fitted_types;   ///< the event types fit found or was given
    std::vector<std::string> feature_names;  ///< the event feature columns fit produced
    /// `spec` with the event types fixed (what transform aggregates with).
    EventAggregationSpec transform_spec() const;
  };

  Pipeline& add(std::unique_ptr<detail::Step> step);
  void check_fitted(const char* caller) const;
  data::Table replay(const data::Table& data) const;
  data::Table fit_steps(const data::Table& train);
  // from_json's parts: the event join, the steps, the input and output columns
  void load_event_join(const Json& join, const std::string& where);
  void load_steps(const Json& steps, const std::string& where);
  void load_columns(const Json& state, const std::string& where);
  /// feature_sources_ of the fitted steps and input_columns_ (a zero-row replay that follows
  /// each step's new_columns()).
  void trace_sources();
  /// `customers` with the event features of `join` appended (the as-of rule checked). Fitting
  /// (`fitted` not null) aggregates with the spec as given and stores the event types and
  /// feature names found in `*fitted`; otherwise the fitted types are used and the names must
  /// equal the fitted ones.
  static data::Table join(const EventJoin& join, const data::Table& customers,
                          const data::Table& events, std::optional<std::int64_t> as_of,
                          EventJoin* fitted, const char* caller);

  PipelineParams params_;
  std::unique_ptr<EventJoin> events_;
  std::vector<std::unique_ptr<detail::Step>> steps_;
  bool fitted_ = false;
  std::vector<InputColumn> input_columns_;
  std::vector<std::string> feature_names_out_;
  std::vector<data::DType> dtypes_out_;
  /// Per output column, the positions in input_columns_ of its raw sources, ascending.
  std::vector<std::vector<Index>> feature_sources_;
};

}  // namespace churn::features
