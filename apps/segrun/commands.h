#pragma once
// Every sub-command of segrun. Adding a command = one file + one line here + one in cli.cpp.
#include <CLI/CLI.hpp>

namespace segrun::app {

void add_version_command(CLI::App& root);
void add_info_command(CLI::App& root);
void add_forward_command(CLI::App& root);
void add_loss_command(CLI::App& root);
void add_synth_command(CLI::App& root);
void add_evaluate_command(CLI::App& root);
void add_bench_command(CLI::App& root);

}  // namespace segrun::app
