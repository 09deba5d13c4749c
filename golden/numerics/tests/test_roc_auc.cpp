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
