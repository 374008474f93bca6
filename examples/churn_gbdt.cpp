// Gradient-boosted trees from C++: synthetic customers -> matrix (categorical columns as codes,
// missing values as NaN) -> GBDTClassifier with early stopping -> hold-out AUC, the strongest
// features, the drivers of the riskiest customer (TreeSHAP), and a saved model file that
// Python's churnlib.GBDTClassifier.load reads too.
//
//   ./example_churn_gbdt [n_customers] [model.json]
#include <churn/churn.hpp>

#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  try {
    churn::data::CustomerOptions opt;
    opt.n_customers = argc > 1 ? std::atoll(argv[1]) : 50000;
    opt.seed = 11;
    const std::string path = argc > 2 ? argv[2] : "churn_gbdt.json";
    const churn::data::Table customers = churn::data::make_customers(opt);

    // Every column but the id, the date and the label; categorical ones become codes.
    std::vector<std::string> names;
    std::vector<int> categorical;
    for (const std::string& name : customers.column_names()) {
      if (name == "customer_id" || name == "signup_date" || name == "churned") continue;
      if (customers.column(name).dtype() == churn::data::DType::Categorical)
        categorical.push_back(static_cast<int>(names.size()));
      names.push_back(name);
    }
    const churn::RowMatrix X = customers.to_matrix(names);
    const churn::Vector y = customers.column("churned").as_int64().cast<double>();

    // 60% training, 20% validation (early stopping), 20% hold-out.
    const churn::Index n = X.rows(), n_fit = n * 6 / 10, n_val = n / 5, n_test = n - n_fit - n_val;
    churn::tree::GBDTParams params;
    params.n_estimators = 1000;
    params.learning_rate = 0.05;
    params.early_stopping_rounds = 50;
    params.categorical_features = categorical;
    churn::tree::GBDTClassifier model(params);
    churn::FitOptions options;
    options.feature_names = names;
    options.eval_set = churn::EvalSet{X.middleRows(n_fit, n_val), y.segment(n_fit, n_val), {}};
    model.fit(X.topRows(n_fit), y.head(n_fit), options);

    const churn::RowMatrix X_test = X.bottomRows(n_test);
    const churn::Vector p = model.predict_proba(X_test);
    std::cout << "trained " << model.n_trees() << " trees (best of " << model.evals_result().size()
              << " rounds); hold-out ROC-AUC " << churn::metrics::roc_auc(y.tail(n_test), p)
              << "\n\nfeature importance (gain):\n";
    const churn::Vector gain = model.feature_importances("gain");
    std::vector<churn::Index> order(static_cast<std::size_t>(gain.size()));
    std::iota(order.begin(), order.end(), churn::Index{0});
    std::sort(order.begin(), order.end(),
              [&](churn::Index a, churn::Index b) { return gain[a] > gain[b]; });
    for (std::size_t k = 0; k < 5 && k < order.size(); ++k)
      std::cout << "  " << std::setw(22) << std::left << names[static_cast<std::size_t>(order[k])]
                << std::fixed << std::setprecision(1) << 100 * gain[order[k]] / gain.sum() << "%\n";

    churn::Index riskiest = 0;
    p.maxCoeff(&riskiest);
    const churn::RowMatrix phi = model.predict_contrib(X_test.middleRows(riskiest, 1));
    std::cout << "\nriskiest hold-out customer: P(churn) = " << std::setprecision(3) << p[riskiest]
              << ", bias " << phi(0, phi.cols() - 1) << " (log-odds); largest contributions:\n";
    std::vector<churn::Index> by(static_cast<std::size_t>(names.size()));
    std::iota(by.begin(), by.end(), churn::Index{0});
    std::sort(by.begin(), by.end(),
              [&](churn::Index a, churn::Index b) { return phi(0, a) > phi(0, b); });
    for (std::size_t k = 0; k < 3; ++k)
      std::cout << "  " << std::setw(22) << std::left << names[static_cast<std::size_t>(by[k])]
                << std::showpos << phi(0, by[k]) << std::noshowpos << "\n";

    model.save(path);
    const churn::tree::GBDTClassifier back = churn::tree::GBDTClassifier::load(path);
    std::cout << "\nsaved to " << path << "; reloaded predictions identical: "
              << ((back.predict_proba(X_test).array() == p.array()).all() ? "yes" : "no") << "\n";
    return 0;
  } catch (const churn::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
