#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/segrun_cli.h"

using namespace segrun;
using test::CliResult;
using test::run_segrun;

TEST_CASE("segrun synth + evaluate: ground truth scores 1, a constant guess scores its pixel share") {
  test::ScratchDir dir("evaluate_cmd");
  const std::string root = dir.str("synth");
  REQUIRE(run_segrun({"synth", "--out", root, "--train", "1", "--val", "3", "--size", "64x32", "--seed", "9"}).code ==
          0);
  const data::Dataset val = data::open_cityscapes(root, "val");
  REQUIRE(val.samples.size() == 3);
  uint64_t valid = 0, road = 0;
  for (const data::Sample& s : val.samples) {
    // Predictions in labelIds: the ground truth itself. In trainIds: road everywhere.
    std::filesystem::create_directories(dir.str("ids"));
    std::filesystem::copy_file(s.label_path, dir.str("ids/" + s.id + "_pred.png"));
    data::write_png(dir.str("road/" + s.id + ".png"), data::make_image(64, 32, 1, 0));
    const data::LoadedSample loaded = data::load_sample(val, &s - val.samples.data());
    for (uint8_t v : loaded.labels.pixels) valid += v != 255, road += v == 0;
  }
  const CliResult exact = run_segrun({"evaluate", "--dataset", "cityscapes", "--root", root, "--pred-dir",
                                      dir.str("ids"), "--pred-format", "labelid", "--json"});
  REQUIRE(exact.code == 0);
  const nlohmann::json e = nlohmann::json::parse(exact.out);
  CHECK(e["miou"].get<double>() == 1.0);
  CHECK(e["pixel_accuracy"].get<double>() == 1.0);
  CHECK(e["mean_dice"].get<double>() == 1.0);
  CHECK(e["boundary_iou"].get<double>() == 1.0);
  CHECK(e["per_class"]["road"].get<double>() == 1.0);
  CHECK(e["per_image_miou"].size() == 3);

  const CliResult guess = run_segrun({"evaluate", "--root", root, "--pred-dir", dir.str("road"), "--json"});
  REQUIRE(guess.code == 0);
  const nlohmann::json g = nlohmann::json::parse(guess.out);
  CHECK(g["pixel_accuracy"].get<double>() == doctest::Approx(static_cast<double>(road) / valid));
  CHECK(g["per_class"]["road"].get<double>() == doctest::Approx(static_cast<double>(road) / valid));
  CHECK(g["per_class"]["sky"].get<double>() == 0.0);

  const CliResult table = run_segrun({"evaluate", "--root", root, "--pred-dir", dir.str("road")});
  CHECK(table.out.find("traffic light") != std::string::npos);
  CHECK(table.out.find("mIoU") != std::string::npos);
}

TEST_CASE("segrun evaluate: missing, ambiguous, mis-sized or out-of-range predictions name the image") {
  test::ScratchDir dir("evaluate_bad");
  const std::string root = dir.str("synth");
  REQUIRE(run_segrun({"synth", "--out", root, "--train", "0", "--val", "1", "--size", "32x16"}).code == 0);
  const std::string id = "synthval_000000_000000", preds = dir.str("preds");
  std::filesystem::create_directories(preds);
  const std::vector<std::string> args = {"evaluate", "--root", root, "--pred-dir", preds};

  const CliResult missing = run_segrun(args);
  CHECK(missing.code == 1);
  CHECK(missing.err == "segrun: evaluate: no prediction for " + id + " in " + preds + " (want " + id + "*.png)\n");

  data::write_png(preds + "/" + id + ".png", data::make_image(16, 16, 1, 0));
  const CliResult small = run_segrun(args);
  CHECK(small.err ==
        "segrun: evaluate: prediction for " + id + " (" + preds + "/" + id + ".png) is 16x16, ground truth is 32x16\n");

  data::Image wrong = data::make_image(32, 16, 1, 0);
  wrong.at(5, 2) = 19;
  data::write_png(preds + "/" + id + ".png", wrong);
  CHECK(run_segrun(args).err == "segrun: evaluate: prediction " + preds + "/" + id +
                                    ".png: value 19 at pixel (x=5, y=2) is not a train id (0..18)\n");

  data::write_png(preds + "/" + id + "_b.png", wrong);
  CHECK(run_segrun(args).err.find("evaluate: 2 predictions match " + id) != std::string::npos);

  const CliResult bad_flag = run_segrun({"evaluate", "--root", root, "--pred-dir", preds, "--pred-format", "rgb"});
  CHECK(bad_flag.code == 2);
  const CliResult bad_size = run_segrun({"synth", "--out", root, "--size", "64by32"});
  CHECK(bad_size.code == 2);
  CHECK(bad_size.err == "segrun: --size: expected WIDTHxHEIGHT such as 256x128, got '64by32'\n");
}
