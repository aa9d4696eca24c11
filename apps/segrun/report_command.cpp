// segrun report: report.md and report.html of a study directory.
#include <cstdio>
#include <memory>
#include <sstream>

#include "apps/segrun/commands.h"
#include "report/report_writer.h"

namespace segrun::app {

void add_report_command(CLI::App& root) {
  auto dir = std::make_shared<std::string>();
  auto compare = std::make_shared<std::string>();
  auto options = std::make_shared<report::ReportOptions>();
  CLI::App* cmd =
      root.add_subcommand("report", "Write report.md and a self-contained report.html for a study directory");
  cmd->add_option("dir", *dir, "Study directory (from segrun ablation)")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--compare", *compare,
                  "A,B: the two configurations of the per-class table and panels (default: "
                  "ce_dominant or the runner-up, and the best)");
  cmd->add_option("--panels", options->panels, "Qualitative panels")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->callback([dir, compare, options] {
    if (!compare->empty()) {
      const size_t comma = compare->find(',');
      if (comma == std::string::npos) throw CLI::ValidationError("--compare " + *compare + ": expected A,B");
      options->compare_a = compare->substr(0, comma);
      options->compare_b = compare->substr(comma + 1);
    }
    const report::ReportPaths paths = report::write_report(*dir, *options);
    std::printf("%s\n%s\n", paths.markdown.c_str(), paths.html.c_str());
  });
}

}  // namespace segrun::app
