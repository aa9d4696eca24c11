#pragma once
// The one way tests run segrun's command line: in-process through app::run_cli, with what the
// command prints on stdout and stderr captured (file descriptors 1 and 2, so printf, std::cout
// and std::cerr are all caught). Linked into the suites that test commands only.
#include <string>
#include <vector>

namespace segrun::test {

struct CliResult {
  int code = 0;     // the exit status the segrun binary would return
  std::string out;  // everything written to stdout
  std::string err;  // everything written to stderr
};

// Runs `segrun args...` (args without the program name).
CliResult run_segrun(const std::vector<std::string>& args);

}  // namespace segrun::test
