// segrun train: one run of the paper's training protocol.
#include <cstdio>
#include <memory>

#include "apps/segrun/commands.h"
#include "apps/segrun/training_flags.h"
#include "models/factory.h"
#include "training/starting_weights.h"
#include "training/trainer.h"

namespace segrun::app {

using training::run_training;
using training::RunMetrics;
using training::TrainConfig;

namespace {

void add_loss_flags(CLI::App& cmd, TrainConfig& config, std::string& weights) {
  CLI::Option* loss = cmd.add_option("--loss", config.loss, "Loss configuration")
                          ->check(CLI::IsMember(loss_config_names()))
                          ->capture_default_str();
  cmd.add_option("--weights", weights, "Custom loss weights w_ce,w_dice,w_focal (instead of --loss)")->excludes(loss);
}

}  // namespace

void add_train_command(CLI::App& root) {
  auto config = std::make_shared<TrainConfig>();
  auto weights = std::make_shared<std::string>();
  CLI::App* cmd = root.add_subcommand("train", "Train one model with one loss configuration (paper protocol)");
  cmd->add_option("--model", config->model, "Network")
      ->check(CLI::IsMember(models::model_names()))
      ->capture_default_str();
  add_loss_flags(*cmd, *config, *weights);
  add_training_flags(*cmd, *config);
  cmd->add_option("--out", config->out, "Run directory")->required();
  cmd->add_flag("--resume", config->resume, "Continue the run in --out from last.safetensors");
  cmd->callback([config, weights] {
    try {
      finalize_train_config(*config, *weights);
      training::check_starting_weight_flags(*config);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError(e.what());
    }
    const std::optional<RunMetrics> metrics = run_training(*config);
    if (!metrics) return;
    const RunMetrics& m = *metrics;
    std::printf("best mIoU %.4f (epoch %d), final mIoU %.4f, best pixel acc %.4f, wall time %.1f s\n", m.best_miou,
                m.best_epoch + 1, m.final_miou, m.best_pixel_accuracy, m.wall_time_s);
    std::printf("run directory: %s\n", config->out.c_str());
  });
}

}  // namespace segrun::app
