#pragma once
/// @file profile.hpp
/// Segment profiles: who is in each segment, how much churn and revenue it carries, and how its
/// features differ from the population.
///
/// Revenue at risk of a segment is
/// - `sum_i revenue_i * score_i` over its rows when scores are given (expected revenue lost if
///   the scores are calibrated churn probabilities), otherwise
/// - `sum_i revenue_i` over its churners (`churned_i == 1`) when churn labels are given
///   (revenue actually lost), otherwise it is not reported.
/// `revenue_at_risk_basis` says which ("score", "churned" or "").
///
/// Missing values (NaN) are skipped per quantity: a feature mean is over the rows where that
/// feature is present, the churn rate over the rows with a known label, and so on.

#include <string>  // std::string
#include <vector>  // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"

namespace churn::segment {

/// One segment's (or the population's) summary. Quantities that were not asked for, or that
/// have no rows, are NaN.
struct SegmentProfile {
  int segment = -1;              ///< segment id (-1 for the population)
  Index size = 0;                ///< rows
  double share = 0.0;            ///< size / total rows
  double churn_rate = 0.0;       ///< mean of `churned` over rows with a known label
  double mean_score = 0.0;       ///< mean score
  double revenue = 0.0;          ///< total revenue
  double revenue_at_risk = 0.0;  ///< see the file comment
  Vector feature_means;          ///< mean of each feature, in the units given
};

/// Profiles of all segments next to the population.
struct SegmentProfiles {
  std::vector<std::string> feature_names;  ///< one per feature ("x0", "x1", ... by default)
  SegmentProfile population;               ///< every row
  std::vector<SegmentProfile> segments;    ///< segment 0, 1, ... (empty ones included)
  bool has_churn = false;                  ///< churn labels were given
  bool has_score = false;                  ///< scores were given
  bool has_revenue = false;                ///< revenue was given
  std::string revenue_at_risk_basis;       ///< "score", "churned" or ""

  /// `{"feature_names", "revenue_at_risk_basis", "population": {...}, "segments": [{...}]}`;
  /// each profile holds segment, size, share, feature_means and, when given, churn_rate,
  /// mean_score, revenue and revenue_at_risk (NaN as the string "nan").
  Json to_json() const;
  /// A readable text table: one line per segment, then each feature's mean per segment next to
  /// the population mean.
  std::string to_string() const;
};

/// The most segments profile_segments reports (n_segments, or the largest id + 1): each gets a
/// row of means, so a huge id would end in bad_alloc rather than an error naming it.
inline constexpr int kMaxSegments = 100000;

/// Profiles from a feature matrix (in the original units, not the scaled ones used to cluster).
/// @param X            n x p features (NaN = missing).
/// @param segments     n segment ids >= 0.
/// @param feature_names  empty or p names.
/// @param churned      empty or n values 0, 1 or NaN (unknown).
/// @param score        empty or n scores (NaN = missing), usually churn probabilities.
/// @param revenue      empty or n revenues (NaN = missing), finite otherwise.
/// @param n_segments   0: max(segments) + 1; otherwise at least that; at most kMaxSegments.
/// @throws InvalidArgument naming the argument: mismatched lengths, a negative segment id or
///         one of kMaxSegments or more, a churn label other than 0/1/NaN, an infinite score or
///         revenue, too small or too large n_segments.
SegmentProfiles profile_segments(const RowMatrixRef& X, const IntVector& segments,
                                 const std::vector<std::string>& feature_names = {},
                                 const VectorRef& churned = Vector(),
                                 const VectorRef& score = Vector(),
                                 const VectorRef& revenue = Vector(), int n_segments = 0);

/// Which columns of a table profile_segments reads.
struct ProfileColumns {
  std::vector<std::string> features;  ///< feature columns (numeric or categorical codes)
  std::string churned;                ///< churn label column, or "" for none
  std::string score;                  ///< score column, or ""
  std::string revenue;                ///< revenue column, or ""
  int n_segments = 0;                 ///< as in profile_segments
};

/// Profiles from table columns.
/// @code
/// auto prof = churn::segment::profile_segments(customers, km.labels(),
///     {{"tenure", "monthly_charges"}, "churned", "", "monthly_charges"});
/// std::cout << prof.to_string();
/// @endcode
/// @throws InvalidArgument for unknown columns or as the matrix form; TypeMismatch for string
///         columns.
SegmentProfiles profile_segments(const data::Table& table, const IntVector& segments,
                                 const ProfileColumns& columns);

}  // namespace churn::segment
