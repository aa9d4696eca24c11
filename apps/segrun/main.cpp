#include "apps/segrun/cli.h"

int main(int argc, char** argv) { return segrun::app::run_cli(argc, argv); }
