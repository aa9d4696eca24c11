// segrun synth: writes the built-in synthetic street-scene data set in the Cityscapes layout.
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

#include "apps/segrun/commands.h"
#include "apps/segrun/flag_limits.h"
#include "data/synth.h"

namespace segrun::app {

namespace {

// "WxH" -> (W, H), both positive.
std::pair<int, int> parse_size(const std::string& text, const std::string& flag) {
  int w = 0, h = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%dx%d%c", &w, &h, &extra) != 2 || w <= 0 || h <= 0) {
    throw std::invalid_argument(flag + ": expected WIDTHxHEIGHT such as 256x128, got '" + text + "'");
  }
  if (w > kMaxImageSide || h > kMaxImageSide) {
    throw std::invalid_argument(flag + " " + text + ": each side must be at most " + std::to_string(kMaxImageSide));
  }
  return {w, h};
}

}  // namespace

void add_synth_command(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("synth", "Draw a synthetic street-scene data set in the Cityscapes layout");
  auto options = std::make_shared<data::SynthOptions>();
  auto size = std::make_shared<std::string>("256x128");
  cmd->add_option("--out", options->out_dir, "Output folder (leftImg8bit/ and gtFine/ go inside)")->required();
  cmd->add_option("--train", options->train_count, "Number of training scenes")
      ->check(CLI::Range(0, kMaxSceneCount))
      ->capture_default_str();
  cmd->add_option("--val", options->val_count, "Number of validation scenes")
      ->check(CLI::Range(0, kMaxSceneCount))
      ->capture_default_str();
  cmd->add_option("--size", *size, "Image size WxH")->capture_default_str();
  cmd->add_option("--seed", options->seed, "Random seed (same seed, same pixels)")
      ->check(whole_number_u64())
      ->capture_default_str();
  options->threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cmd->add_option("--threads", options->threads, "Drawing threads (the output does not depend on it)")
      ->check(CLI::Range(1, kMaxThreads));
  cmd->callback([options, size] {
    const auto [w, h] = parse_size(*size, "--size");
    options->width = w;
    options->height = h;
    const auto start = std::chrono::steady_clock::now();
    data::write_synth_dataset(*options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("synth: wrote %d train + %d val scenes of %dx%d to %s in %.1f s\n", options->train_count,
                options->val_count, w, h, options->out_dir.c_str(), seconds);
  });
}

}  // namespace segrun::app
