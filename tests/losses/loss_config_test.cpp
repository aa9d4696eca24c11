// Named loss configurations, `--weights` parsing and class-weight formulas.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>

#include "losses/class_weights.h"
#include "losses/configs.h"
#include "tests/support/op_cases.h"
#include "tests/support/scratch_dir.h"

using namespace segrun;
using namespace segrun::losses;

namespace {
std::string message_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void check_weights(const LossWeights& w, double ce, double dice, double focal) {
  CHECK(w.ce == ce);
  CHECK(w.dice == dice);
  CHECK(w.focal == focal);
}

// A file holding `text` in a scratch folder, removed when the test ends.
struct TempFile {
  segrun::test::ScratchDir dir;
  std::string path;
  explicit TempFile(const std::string& text)
      : dir("class_weights_" + std::to_string(counter()++)), path(dir.str("w.txt")) {
    std::ofstream(path) << text;
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
};
}  // namespace

TEST_CASE("the seven named configurations of the study") {
  const std::vector<NamedLossConfig>& all = named_loss_configs();
  REQUIRE(all.size() == 7);
  CHECK(all[0].name == "equal");
  CHECK(all[6].name == "focal_only");
  check_weights(loss_config("equal"), 1.0, 1.0, 1.0);
  check_weights(loss_config("ce_dominant"), 1.0, 0.5, 0.5);
  check_weights(loss_config("dice_dominant"), 0.5, 1.0, 0.5);
  check_weights(loss_config("focal_dominant"), 0.5, 0.5, 1.0);
  check_weights(loss_config("ce_only"), 1.0, 0.0, 0.0);
  check_weights(loss_config("dice_only"), 0.0, 1.0, 0.0);
  check_weights(loss_config("focal_only"), 0.0, 0.0, 1.0);
}

TEST_CASE("an unknown configuration name lists the valid ones") {
  CHECK_THROWS_AS(loss_config("dice"), std::invalid_argument);
  const std::string m = message_of([] { loss_config("dice_heavy"); });
  CHECK(contains(m, "loss config 'dice_heavy' is unknown"));
  CHECK(contains(m, "equal, ce_dominant, dice_dominant, focal_dominant, ce_only, dice_only, focal_only"));
}

TEST_CASE("--weights ce,dice,focal parsing") {
  check_weights(parse_loss_weights("1,0.5,0.5"), 1.0, 0.5, 0.5);
  check_weights(parse_loss_weights("0,2,1e-1"), 0.0, 2.0, 0.1);
  CHECK(contains(message_of([] { parse_loss_weights("1,2"); }), "expected three comma-separated numbers"));
  CHECK(contains(message_of([] { parse_loss_weights("1,2,3,"); }), "expected three"));
  CHECK(contains(message_of([] { parse_loss_weights("1,2,3,4"); }), "expected three"));
  CHECK(contains(message_of([] { parse_loss_weights("1,-1,0"); }), "'-1' is not a finite non-negative number"));
  CHECK(contains(message_of([] { parse_loss_weights("1,x,0"); }), "'x' is not"));
  CHECK(contains(message_of([] { parse_loss_weights("1,,0"); }), "'' is not"));
  CHECK(contains(message_of([] { parse_loss_weights("0,0,0"); }), "at least one must be positive"));
}

TEST_CASE("ENet class weights 1 / ln(1.02 + f)") {
  // 1/ln(1.52) = 2.3882859264, 1/ln(1.04) = 25.4967316910, 1/ln(1.02) = 50.4983497918.
  const std::vector<double> w = enet_class_weights({0.5, 0.02, 0.0});
  REQUIRE(w.size() == 3);
  CHECK(w[0] == doctest::Approx(2.3882859264).epsilon(1e-10));
  CHECK(w[1] == doctest::Approx(25.4967316910).epsilon(1e-10));
  CHECK(w[2] == doctest::Approx(50.4983497918).epsilon(1e-10));
  CHECK(contains(message_of([] { enet_class_weights({0.5, 1.5}); }), "frequency of class 1 is 1.5"));
  CHECK(contains(message_of([] { enet_class_weights({}); }), "no class frequencies"));
}

TEST_CASE("median-frequency class weights median(f) / f") {
  // Even C: median(0.4, 0.1, 0.2, 0.3) = (0.2 + 0.3) / 2 = 0.25 -> (0.625, 2.5, 1.25, 0.8333333333).
  const std::vector<double> even = median_class_weights({0.4, 0.1, 0.2, 0.3});
  REQUIRE(even.size() == 4);
  CHECK(even[0] == doctest::Approx(0.625));
  CHECK(even[1] == doctest::Approx(2.5));
  CHECK(even[2] == doctest::Approx(1.25));
  CHECK(even[3] == doctest::Approx(0.8333333333));
  // Odd C with a class that never occurs: median(0.5, 0, 0.25) = 0.25 -> (0.5, 0, 1).
  const std::vector<double> odd = median_class_weights({0.5, 0.0, 0.25});
  CHECK(odd[0] == doctest::Approx(0.5));
  CHECK(odd[1] == 0.0);
  CHECK(odd[2] == doctest::Approx(1.0));
  CHECK(contains(message_of([] { median_class_weights({0.0, 0.0, 1.0}); }), "the median frequency is 0"));
}

TEST_CASE("class weights by name or from a file") {
  const std::vector<double> f = {0.5, 0.3, 0.2};
  CHECK(class_weights("none", f) == std::vector<double>{1.0, 1.0, 1.0});
  CHECK(class_weights("enet", f) == enet_class_weights(f));
  CHECK(class_weights("median", f) == median_class_weights(f));
  const TempFile good("1.5\n2 0.5\n");
  CHECK(class_weights(good.path, f) == std::vector<double>{1.5, 2.0, 0.5});
  CHECK(class_weight_tensor({1.5, 2.0, 0.5}).to_double_vector() == std::vector<double>{1.5, 2.0, 0.5});
  const TempFile bad_token("1.0\n2.0 abc\n");
  CHECK(contains(message_of([&] { class_weights(bad_token.path, f); }), bad_token.path + ":2: 'abc' is not"));
  const TempFile too_few("1.0 2.0\n");
  CHECK(contains(message_of([&] { class_weights(too_few.path, f); }), too_few.path + ": 2 weights for 3 classes"));
  const TempFile too_many("1\n2\n3\n4\n");
  CHECK(contains(message_of([&] { class_weights(too_many.path, f); }), too_many.path + ":4: more than 3 weights"));
  CHECK(contains(message_of([] {
                   class_weights("enett", {0.5, 0.5});
                 }),
                 "class weights 'enett': neither enet, median, none nor a readable weights file"));
}

TEST_CASE("every loss is in the op-case table") {
  std::set<std::string> present;
  for (const testing::OpCase& c : testing::op_case_registry()) present.insert(c.op);
  for (const char* op : {"cross_entropy", "dice", "focal", "combined_loss"}) {
    INFO("loss missing from the op-case table: " << op);
    CHECK(present.count(op) == 1);
  }
}
