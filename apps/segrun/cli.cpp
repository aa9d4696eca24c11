#include "apps/segrun/cli.h"

#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

#include "apps/segrun/commands.h"

namespace segrun::app {

namespace {
constexpr CommandAdder kCommands[] = {
    add_version_command,  add_train_command, add_ablation_command, add_report_command, add_predict_command,
    add_demo_command,     add_info_command,  add_forward_command,  add_loss_command,   add_synth_command,
    add_evaluate_command, add_bench_command, add_steps_command,
};
}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App root{"segrun: train and study semantic-segmentation networks and their losses"};
  root.require_subcommand(1);
  root.fallthrough(false);
  for (CommandAdder add : kCommands) add(root);
  try {
    root.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return root.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line saying what is wrong, then the help of the command it concerns; exit 2.
    std::cerr << "segrun: " << e.what() << "\n";
    const CLI::App* cmd = &root;
    for (const CLI::App* sub : root.get_subcommands()) cmd = sub;
    std::cerr << cmd->help();
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "segrun: " << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "segrun: out of memory; lower --batch, --size or --width (or free memory)\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "segrun: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace segrun::app
