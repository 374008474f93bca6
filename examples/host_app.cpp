// A host application's use of churnlib, end to end on data it generates itself: train a GBDT on
// a customer table (categories by name), save it, load it back as a service would, score a CSV
// of raw customers by column name, explain one score, fit a logistic regression on numeric
// columns, and stop a long fit from another thread. The README's C++ block is cut from the
// lines between the [readme] markers (python/tests/test_readme.py checks that it still is).
//
//   ./example_host_app [work_dir]
#include <churn/churn.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  try {
    const std::filesystem::path dir = argc > 1 ? argv[1] : ".";
    std::filesystem::create_directories(dir);
    const std::string customers_csv = (dir / "customers.csv").string();
    const std::string model_json = (dir / "gbdt.json").string();

    // Training data: 6,000 customers; the features are every column except id, date and label.
    churn::data::CustomerOptions opt;
    opt.n_customers = 6000;
    opt.seed = 11;
    const churn::data::Table all = churn::data::make_customers(opt);
    const churn::data::Table customers = all.drop({"customer_id", "signup_date", "churned"});
    const churn::Vector y = all.column("churned").as_int64().cast<double>();
    const churn::data::Table train_table = customers.slice(0, 4000);
    const churn::Vector y_train = y.head(4000);
    churn::data::write_csv(all.slice(5000, 1000), customers_csv);  // "next month's" customers

    // [readme]
    // Training: the optional inputs of fit() are named in one struct (every estimator)
    churn::tree::GBDTParams params;
    params.n_estimators = 300;
    params.early_stopping_rounds = 30;
    churn::tree::GBDTClassifier trainer(params);
    churn::FitOptions options;  // sample_weight, feature_names, eval_set (a matrix)
    options.sample_weight = churn::Vector::Ones(4000);
    trainer.fit(train_table, y_train, customers.slice(4000, 1000), y.segment(4000, 1000),
                options);  // columns by name; category and string columns become categorical
                           // features; the evaluation rows (a table) stop it early
    trainer.save(model_json);

    // Serving: load the file (from C++ or Python) and score raw customers by column name
    const churn::tree::GBDTClassifier model = churn::tree::GBDTClassifier::load(model_json);
    const churn::data::Table batch = churn::data::read_csv(customers_csv);
    const churn::Vector p = model.predict_proba(batch);      // category labels mapped as in
                                                             // training; unseen: missing
    const churn::RowMatrix X = model.feature_matrix(batch);  // the model's coding of the batch
    const churn::RowMatrix why = model.predict_contrib(X);   // TreeSHAP, last column the bias

    // A linear model on numeric columns (categories would be one-hot encoded first by a
    // churn::features::Pipeline)
    churn::linear::LogisticRegression lr;
    lr.fit(train_table.select({"tenure_months", "monthly_charges", "support_tickets"}), y_train);
    const churn::Vector p_lr = lr.predict_proba(batch);  // finds its three columns by name
    // [/readme]

    std::cout << "GBDT: " << model.n_trees() << " trees (best iteration "
              << trainer.best_iteration() << "), P(churn) of the first customer " << p[0]
              << ", its SHAP bias " << why(0, why.cols() - 1) << "\n"
              << "logistic regression: P(churn) of the first customer " << p_lr[0] << "\n";

    // [readme-stop]
    std::atomic<bool> cancel{false};  // set by another thread ("Cancel" button, deadline)
    // [/readme-stop]
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      cancel = true;
    });
    params.n_estimators = 100000;
    params.early_stopping_rounds = 0;
    churn::tree::GBDTClassifier slow(params);
    // [readme-stop]
    try {
      churn::StopScope scope([&] { return cancel.load(); });
      slow.fit(train_table, y_train);
    } catch (const churn::Interrupted&) {
      // slow is as it was before fit()
    }
    // [/readme-stop]
    canceller.join();
    std::cout << "the long fit was stopped: " << (slow.is_fitted() ? "no" : "yes") << "\n";
    return slow.is_fitted() ? 1 : 0;
  } catch (const churn::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
