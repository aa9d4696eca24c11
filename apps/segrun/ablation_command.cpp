// segrun ablation: the seven loss configurations, the best on a second model, the report.
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "apps/segrun/ablation.h"
#include "apps/segrun/commands.h"
#include "models/factory.h"

namespace segrun::app {

using training::join_path;

namespace {

struct AblationFlags {
  AblationPlan plan;
  std::string configs = "all";
  std::string shard = "0/1";
  std::string seeds;  // empty: the single --seed
};

void run_ablation_command(AblationFlags& flags) {
  AblationPlan& plan = flags.plan;
  try {
    plan.configs = parse_config_list(flags.configs);
    parse_shard(flags.shard, plan.shard_index, plan.shard_count);
    if (!flags.seeds.empty()) plan.seeds = parse_seed_list(flags.seeds);
    const std::string cache_dir = plan.base.cache_dir;
    plan.base.out = join_path(plan.out, "run");
    finalize_train_config(plan.base, "");
    // Both networks of the study train on --batch: refused before any run, not at the second.
    check_training_batch(plan.model, plan.base.batch);
    if (!plan.then_model.empty()) check_training_batch(plan.then_model, plan.base.batch);
    if (!plan.base.encoder_weights.empty() && plan.model != "deeplabv3plus" && plan.then_model != "deeplabv3plus") {
      throw std::invalid_argument("--encoder-weights: neither --model nor --then is deeplabv3plus");
    }
    if (plan.base.init_partial && plan.base.init.empty()) throw std::invalid_argument("--init-partial: needs --init");
    plan.base.cache_dir = cache_dir;
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError(e.what());
  }
  const AblationOutcome outcome = run_ablation(plan);
  std::printf("runs trained: %d, already finished: %d\n", outcome.runs_trained, outcome.runs_skipped);
  if (outcome.complete) {
    std::printf("best configuration: %s\nreport: %s\n", outcome.best_config.c_str(), outcome.report_html.c_str());
  } else {
    std::printf("study incomplete (other shards still running); run `segrun report %s` once they finish\n",
                plan.out.c_str());
  }
}

}  // namespace

void add_ablation_command(CLI::App& root) {
  auto flags = std::make_shared<AblationFlags>();
  CLI::App* cmd = root.add_subcommand("ablation", "Run the loss-weight ablation study and write its report");
  cmd->add_option("--model", flags->plan.model, "Network for the seven configurations")
      ->check(CLI::IsMember(models::model_names()))
      ->capture_default_str();
  cmd->add_option("--configs", flags->configs, "all, or a comma list of configurations")->capture_default_str();
  cmd->add_option("--then", flags->plan.then_model, "Second network, trained with the best configuration")
      ->check(CLI::IsMember(models::model_names()));
  add_training_flags(*cmd, flags->plan.base);
  cmd->add_option("--out", flags->plan.out, "Study directory (one run folder per run)")->required();
  cmd->add_option("--seeds", flags->seeds,
                  "Comma list of seeds: every run once per seed (folders model-config-seedN), the report with "
                  "means, 95% intervals and paired tests across seeds")
      ->excludes(cmd->get_option("--seed"));
  cmd->add_option("--shard", flags->shard, "i/n: run only runs k with k mod n = i (0 <= i < n)")->capture_default_str();
  cmd->callback([flags] { run_ablation_command(*flags); });
}

}  // namespace segrun::app
