"""Writes the golden churn-model bundles of tests/testdata (run from the repository root):

    .venv/bin/python tests/testdata/make_churn_model_fixtures.py

For each model kind: churn_model_<kind>.json, a bundle trained by Python's train_churn_model on
generated customers, and churn_model_<kind>_scores.csv, what Python's ChurnModel.score gives
for churn_model_customers.csv (read with cl.read_csv). The C++ test
tests/model/test_churn_model_golden.cpp loads each bundle, reads the same CSV through the C++
Table API and must reproduce the scores bit for bit; python/tests/test_model.py checks that
Python still does. These files are the bundle format's golden files: they must load forever.

    .venv/bin/python tests/testdata/make_churn_model_fixtures.py --scores-only

rewrites only the expected scores from the existing bundles and CSV (when the scoring
arithmetic changes on purpose; the bundles themselves change only with the format).
"""

import os
import sys

import churnlib as cl

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ("logistic", "random_forest", "gbdt")


def write_scores(kind, customers):
    path = os.path.join(HERE, f"churn_model_{kind}.json")
    scores = cl.ChurnModel.load(path).score(customers, n_reasons=2)
    with open(os.path.join(HERE, f"churn_model_{kind}_scores.csv"), "w") as f:
        f.write("customer_id,probability,prediction,reason_1,reason_2\n")
        for row in scores.itertuples(index=False):
            r1 = row.reason_1 if isinstance(row.reason_1, str) else ""
            r2 = row.reason_2 if isinstance(row.reason_2, str) else ""
            f.write(f"{row.customer_id},{row.probability!r},{row.prediction},{r1},{r2}\n")


def main():
    if "--scores-only" in sys.argv[1:]:
        customers = cl.read_csv(os.path.join(HERE, "churn_model_customers.csv"))
        for kind in KINDS:
            write_scores(kind, customers)
        return
    train = cl.make_customers(1500, seed=20, missing_rate=0.05)
    batch = cl.make_customers(300, seed=21, missing_rate=0.05)
    csv = os.path.join(HERE, "churn_model_customers.csv")
    cl.write_csv(batch.to_pandas().drop(columns=["churned"]), csv)
    customers = cl.read_csv(csv)
    for kind in KINDS:
        model = cl.train_churn_model(train, "churned", candidates=[kind], cv=3, seed=1,
                                     tags={"fixture": kind})
        path = os.path.join(HERE, f"churn_model_{kind}.json")
        model.save(path)
        write_scores(kind, customers)
        print(f"{kind}: {os.path.getsize(path) / 1e3:.0f} kB, threshold {model.threshold_:.4f}")


if __name__ == "__main__":
    main()
