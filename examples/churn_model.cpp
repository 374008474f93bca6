// The deployable churn model from C++: train_churn_model compares candidates and packs the
// winner (contract, pipeline, model, calibration, threshold, baseline, report) into one file;
// a service loads that file (written by C++ or Python alike) and scores a CSV of raw customers
// with the reasons behind each score. The README's block is cut from the lines between the
// [readme] markers (python/tests/test_readme.py checks that it still is).
//
//   ./example_churn_model [work_dir]
#include <churn/churn.hpp>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

int main(int argc, char** argv) {
  try {
    const std::filesystem::path dir = argc > 1 ? argv[1] : ".";
    std::filesystem::create_directories(dir);
    const std::string bundle_json = (dir / "churn_model.json").string();
    const std::string customers_csv = (dir / "next_month.csv").string();
    churn::data::CustomerOptions opt;
    opt.n_customers = 5000;
    opt.seed = 3;
    const churn::data::Table history = churn::data::make_customers(opt);
    opt.n_customers = 1000;
    opt.seed = 4;
    churn::data::write_csv(churn::data::make_customers(opt).drop({"churned"}), customers_csv);

    // [readme]
    // Training: split, 5-fold CV of each candidate (its pipeline refitted in every fold),
    // refit, calibration, threshold, hold-out metrics, baselines -- one call, one file
    churn::model::TrainOptions train;
    train.target = "churned";
    train.candidates = {"logistic", "gbdt"};
    const churn::model::ChurnModel trained = churn::model::train_churn_model(history, train);
    trained.save(bundle_json);
    std::cout << "chosen: " << trained.report()["chosen"] << ", hold-out AUC "
              << trained.report()["holdout"]["roc_auc"] << "\n";

    // Serving: the file holds everything; a CSV of raw customers goes in as it is
    const churn::model::ChurnModel model = churn::model::ChurnModel::load(bundle_json);
    const churn::data::Table scored = model.score(churn::data::read_csv(customers_csv));
    // columns: customer_id, probability, prediction, reason_1..3 (+ their contributions)
    // [/readme]

    const auto p = scored.column("probability").as_float64();
    Eigen::Index top = 0;
    p.maxCoeff(&top);
    std::cout << "riskiest: " << scored.column("customer_id").value_string(top) << " p=" << p[top]
              << " because of " << scored.column("reason_1").value_string(top) << ", "
              << scored.column("reason_2").value_string(top) << "\n";
    // A registry folder (what Python's cl.ModelRegistry writes): versions, stages, a locked index
    churn::model::ModelRegistry registry((dir / "models").string());
    const int version = registry.register_document("churn", model.to_json(), {{"owner", "c++"}});
    registry.set_stage("churn", version, churn::model::Stage::production);
    const churn::model::ChurnModel production =
        churn::model::ChurnModel::from_json(registry.read_document("churn", "production"));
    std::cout << "registered churn v" << version << "; production scores equal: "
              << (production.predict_proba(churn::data::read_csv(customers_csv)) ==
                  scored.column("probability").as_float64())
              << "\n";
    const churn::data::Table comparison = churn::model::comparison_table(model);
    for (churn::Index i = 0; i < comparison.num_rows(); ++i)
      std::cout << comparison.column("candidate").value_string(i) << ": CV roc_auc "
                << comparison.column("roc_auc_mean").as_float64()[i] << "\n";
    return 0;
  } catch (const churn::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
