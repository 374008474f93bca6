// Quickstart: generate synthetic customers, write them as CSV, read them back through a data
// contract, and print a summary.
//
//   ./example_quickstart [n_customers] [output.csv]
#include <churn/churn.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  try {
    churn::data::CustomerOptions opt;
    opt.n_customers = argc > 1 ? std::atoll(argv[1]) : 20000;
    opt.seed = 7;
    const std::string path = argc > 2 ? argv[2] : "quickstart_customers.csv";

    const churn::data::Table customers = churn::data::make_customers(opt);
    churn::data::write_csv(customers, path);

    // The data contract: what every customer file must satisfy before it reaches a model.
    churn::data::Schema schema = churn::data::Schema::infer(customers);
    schema.unique("customer_id");
    const churn::data::Table table = churn::data::read_csv(path, schema);

    std::cout << "read " << table.num_rows() << " customers x " << table.num_columns()
              << " columns from " << path << "\n\n"
              << churn::data::describe_string(table) << "\n";
    const auto churned = table.column("churned").as_int64();
    std::cout << "churn rate: " << static_cast<double>(churned.sum()) / churned.size() << "\n";
    return 0;
  } catch (const churn::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
