#pragma once
/// @file types.hpp
/// Basic numeric types shared by every churnlib module.

#include <Eigen/Core>  // Eigen::Matrix, Eigen::Ref
#include <cstdint>     // std::int64_t
#include <limits>      // std::numeric_limits

namespace churn {

/// Row and column indices and sizes.
using Index = std::int64_t;

/// Row-major dense matrix of doubles: the layout of a C-ordered numpy array.
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// Column vector of doubles.
using Vector = Eigen::VectorXd;
/// Column vector of int32 (categorical codes).
using IntVector = Eigen::Matrix<std::int32_t, Eigen::Dynamic, 1>;
/// Column vector of int64 (integers, timestamps).
using Int64Vector = Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>;

/// Read-only view of a row-major matrix (maps a C-ordered numpy array without a copy).
using RowMatrixRef = Eigen::Ref<const RowMatrix>;
/// Read-only view of a vector.
using VectorRef = Eigen::Ref<const Vector>;

/// The missing value of float64 data.
inline constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
/// The missing value of timestamp data (pandas' NaT).
inline constexpr std::int64_t kNaT = std::numeric_limits<std::int64_t>::min();
/// The missing code of categorical data.
inline constexpr std::int32_t kMissingCode = -1;

}  // namespace churn
