#pragma once
// Every sub-command of segrun. Adding a command = one file + one line here + one in cli.cpp.
#include <CLI/CLI.hpp>

namespace segrun::app {

void add_version_command(CLI::App& root);
void add_train_command(CLI::App& root);
void add_ablation_command(CLI::App& root);
void add_report_command(CLI::App& root);
void add_predict_command(CLI::App& root);
void add_demo_command(CLI::App& root);
// `bench train`, a child of the `bench` command.
void add_bench_train(CLI::App& bench);
void add_info_command(CLI::App& root);
void add_forward_command(CLI::App& root);
void add_loss_command(CLI::App& root);
void add_synth_command(CLI::App& root);
void add_evaluate_command(CLI::App& root);
void add_bench_command(CLI::App& root);
void add_steps_command(CLI::App& root);

}  // namespace segrun::app
