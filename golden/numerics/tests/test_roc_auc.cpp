// The ROC AUC, computed by hand.

#include <catch2/catch.hpp>

#include "golden/errors.hpp"
#include "golden/numerics/roc_auc.hpp"

using namespace aps;

TEST_CASE("the ROC AUC counts the pairs an anomaly wins, ties as halves", "[auc]") {
  CHECK(roc_auc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}) == 1.0);
  CHECK(roc_auc({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1}) == 0.0);
  // Positives 0.5 and 0.3, negatives 0.4 and 0.5: pairs won 1 + 0.5 (tie) + 0 + 0 = 1.5 of 4.
  CHECK(roc_auc({0.5, 0.3, 0.4, 0.5}, {1, 1, 0, 0}) == Approx(1.5 / 4));
  CHECK_THROWS_AS(roc_auc({0.1, 0.2}, {0, 0}), InputError);
  CHECK_THROWS_AS(roc_auc({0.1, 0.2}, {0, 2}), InputError);
}

TEST_CASE("the operating threshold maximizes Youden's J, halfway between two scores", "[auc]") {
  // Separable: any t in [0.2, 0.8) gives J = 1; halfway is 0.5.
  CHECK(youden_threshold({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}) == Approx(0.5));
  // Normals 0.1 0.3 0.6, anomalies 0.4 0.7 0.9: t = 0.65 gives J = 2/3 - 0 = 0.67;
  // t = 0.35 gives 1 - 1/3 = 0.67 too, and the lower one is kept.
  CHECK(youden_threshold({0.1, 0.3, 0.6, 0.4, 0.7, 0.9}, {0, 0, 0, 1, 1, 1}) == Approx(0.35));
  // Ties move together: t = 0.5 would split the tied pair at 0.5 and reach J = 1.
  CHECK(youden_threshold({0.5, 0.5, 0.2, 0.9, 0.95}, {0, 1, 0, 1, 1}) == Approx(0.7));
  // Anomalies scoring lower than normals, or no higher: no t has J > 0.
  CHECK_THROWS_WITH(youden_threshold({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1}), Catch::Contains("Youden's J above 0"));
  CHECK_THROWS_WITH(youden_threshold({5.0, 5.0, 6.0, 6.0}, {0, 1, 0, 1}), Catch::Contains("Youden's J above 0"));
  CHECK_THROWS_AS(youden_threshold({0.1, 0.2}, {1, 1}), InputError);
  CHECK_THROWS_AS(youden_threshold({0.1}, {0, 1}), InputError);
}
