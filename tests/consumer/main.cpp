// Uses the installed churnlib: builds a table, checks a few values, prints OK.
#include <churn/churn.hpp>

#include <cmath>
#include <iostream>

int main() {
  churn::data::Table t({churn::data::Column::from_float64("tenure", {1.0, 34.0, 2.0}),
                        churn::data::Column::from_strings_categorical(
                            "contract", {"Monthly", "Annual", "Monthly"})});
  churn::RowMatrix X = t.to_matrix();
  const double s = churn::parallel_reduce(
      0, X.rows(), 1, 0.0,
      [&](churn::Index lo, churn::Index hi) { return X.col(0).segment(lo, hi - lo).sum(); },
      [](double a, double b) { return a + b; }, 0);
  if (X.rows() != 3 || X.cols() != 2 || std::abs(s - 37.0) > 1e-12 || X(1, 1) != 1.0) {
    std::cerr << "consumer: unexpected values\n";
    return 1;
  }
  try {
    (void)t.column("nope");
    std::cerr << "consumer: expected churn::InvalidArgument\n";
    return 1;
  } catch (const churn::InvalidArgument&) {
  }
  std::cout << "churnlib " << churn::version_string << " consumer OK\n";
  return 0;
}
