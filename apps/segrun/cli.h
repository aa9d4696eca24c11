#pragma once
// segrun's command line: one binary, one sub-command per file in apps/segrun/.
#include <CLI/CLI.hpp>

namespace segrun::app {

int run_cli(int argc, char** argv);

// Each sub-command adds itself to the root app; see commands.h for the list.
using CommandAdder = void (*)(CLI::App& root);

}  // namespace segrun::app
