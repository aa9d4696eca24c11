#include "tests/support/segrun_cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "apps/segrun/cli.h"

namespace segrun::test {

namespace {

// Points file descriptor `fd` at a fresh temporary file until restored.
class Redirect {
 public:
  explicit Redirect(int fd) : fd_(fd) {
    char name[] = "/tmp/segrun_cli_capture_XXXXXX";
    const int file = ::mkstemp(name);
    if (file < 0) throw std::runtime_error("segrun_cli: cannot create a capture file in /tmp");
    path_ = name;
    saved_ = ::dup(fd_);
    ::dup2(file, fd_);
    ::close(file);
  }
  ~Redirect() {
    if (saved_ >= 0) restore();
    std::remove(path_.c_str());
  }
  // Puts the descriptor back and returns what was written to it.
  std::string restore() {
    ::dup2(saved_, fd_);
    ::close(saved_);
    saved_ = -1;
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  int fd_, saved_ = -1;
  std::string path_;
};

void flush_all() {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(stdout);
  std::fflush(stderr);
}

}  // namespace

CliResult run_segrun(const std::vector<std::string>& args) {
  std::vector<std::string> storage = {"segrun"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  CliResult result;
  flush_all();
  Redirect out(STDOUT_FILENO), err(STDERR_FILENO);
  result.code = app::run_cli(static_cast<int>(storage.size()), argv.data());
  flush_all();
  result.out = out.restore();
  result.err = err.restore();
  return result;
}

}  // namespace segrun::test
