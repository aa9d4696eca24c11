// segrun demo: synthesises a small street-scene data set, runs a reduced ablation (all seven
// configurations, then the best on DeepLabV3+) on the CPU and writes the report.
#include <chrono>
#include <cstdio>
#include <memory>

#include "apps/segrun/ablation.h"
#include "apps/segrun/commands.h"
#include "apps/segrun/flag_limits.h"
#include "data/synth.h"
#include "training/progress.h"
#include "training/run_files.h"

namespace segrun::app {

using training::file_exists;

using training::format_duration;
using training::join_path;

namespace {

struct DemoOptions {
  bool quick = false;
  std::string out = "segrun-demo";
  int threads = 0;
};

struct DemoScale {
  int train_images, val_images, width_px, height_px, epochs, model_width, batch;
};

// Sized so the full demo stays under 10 minutes and --quick under 2 minutes on 2 cores.
constexpr DemoScale kFull = {80, 20, 128, 64, 10, 8, 4};
constexpr DemoScale kQuick = {64, 16, 64, 32, 10, 8, 4};
// Few steps at a small width: a learning rate 20x the paper's so the demo runs converge visibly.
constexpr double kDemoLearningRate = 2e-3;

void run_demo(const DemoOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  const DemoScale scale = o.quick ? kQuick : kFull;
  const std::string data_dir = join_path(o.out, "data");
  if (!file_exists(join_path(data_dir, "gtFine"))) {
    data::SynthOptions synth;
    synth.out_dir = data_dir;
    synth.train_count = scale.train_images;
    synth.val_count = scale.val_images;
    synth.width = scale.width_px;
    synth.height = scale.height_px;
    data::write_synth_dataset(synth);
    std::fprintf(stderr, "demo: synthetic data set in %s\n", data_dir.c_str());
  }
  AblationPlan plan;
  plan.model = "attention_unet";
  plan.configs = loss_config_names();
  plan.then_model = "deeplabv3plus";
  plan.out = join_path(o.out, "study");
  plan.base.dataset = "cityscapes";
  plan.base.root = data_dir;
  plan.base.width_px = scale.width_px;
  plan.base.height_px = scale.height_px;
  plan.base.epochs = scale.epochs;
  plan.base.batch = scale.batch;
  plan.base.width = scale.model_width;
  plan.base.threads = o.threads;
  plan.base.lr = kDemoLearningRate;
  plan.base.quiet = true;
  // Two seeds: enough for the report's tables across seeds (means, intervals, paired tests).
  plan.seeds = {plan.base.seed, plan.base.seed + 1};
  const AblationOutcome outcome = run_ablation(plan);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("demo finished in %s (best configuration: %s)\nreport: %s\n", format_duration(seconds).c_str(),
              outcome.best_config.c_str(), outcome.report_html.c_str());
}

}  // namespace

void add_demo_command(CLI::App& root) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* cmd = root.add_subcommand("demo", "Synthetic data, a reduced ablation on the CPU, and its report");
  cmd->add_flag("--quick", o->quick, "Smaller and shorter (under 2 minutes on 2 cores)");
  cmd->add_option("--out", o->out, "Output folder (data/ and study/)")->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0 = all)")->check(CLI::Range(0, kMaxThreads));
  cmd->callback([o] { run_demo(*o); });
}

}  // namespace segrun::app
