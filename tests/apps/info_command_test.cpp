// segrun info: the two exact parameter counts and PyTorch-layout tensor listings, as JSON.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/segrun_cli.h"

namespace {
// What `segrun args...` printed on stdout; its exit status in `status`.
std::string run_captured(const std::vector<std::string>& args, int& status) {
  const segrun::test::CliResult r = segrun::test::run_segrun(args);
  status = r.code;
  return r.out;
}

nlohmann::json info_json(const std::string& model) {
  int status = -1;
  const std::string out = run_captured({"info", "--model", model, "--classes", "19", "--json"}, status);
  CHECK(status == 0);
  return nlohmann::json::parse(out);
}

const nlohmann::json* find_tensor(const nlohmann::json& info, const std::string& name) {
  for (const nlohmann::json& t : info["tensors"])
    if (t["name"] == name) return &t;
  return nullptr;
}
}  // namespace

TEST_CASE("segrun info --json: Attention U-Net") {
  const nlohmann::json info = info_json("attention_unet");
  CHECK(info["params"] == 31390335);
  const nlohmann::json* conv = find_tensor(info, "encoder1.conv1.weight");
  REQUIRE(conv);
  CHECK((*conv)["shape"] == std::vector<int>{64, 3, 3, 3});
  const nlohmann::json* up = find_tensor(info, "up4.weight");
  REQUIRE(up);
  CHECK((*up)["shape"] == std::vector<int>{1024, 512, 2, 2});  // IOHW
  int64_t total = 0;
  for (const nlohmann::json& t : info["tensors"]) {
    if (t["kind"] != "parameter") continue;
    int64_t n = 1;
    for (int64_t d : t["shape"]) n *= d;
    total += n;
  }
  CHECK(total == 31390335);
}

TEST_CASE("segrun info --json: DeepLabV3+") {
  const nlohmann::json info = info_json("deeplabv3plus");
  CHECK(info["params"] == 22442083);
  const nlohmann::json* counter = find_tensor(info, "encoder.layer2.0.downsample.1.num_batches_tracked");
  REQUIRE(counter);
  CHECK((*counter)["dtype"] == "I64");
  CHECK((*counter)["shape"] == nlohmann::json::array());  // 0-dim, as in a PyTorch state dict
  CHECK((*counter)["kind"] == "buffer");
  const nlohmann::json* head = find_tensor(info, "head.weight");
  REQUIRE(head);
  CHECK((*head)["shape"] == std::vector<int>{19, 256, 1, 1});
}

TEST_CASE("segrun info rejects an unknown model with exit status 2") {
  int status = -1;
  run_captured({"info", "--model", "unet", "--classes", "19"}, status);
  CHECK(status == 2);
}
