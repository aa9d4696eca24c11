#include "data/stale_temp_files.h"

#include <signal.h>

#include <cerrno>
#include <filesystem>

namespace segrun::data {

namespace {

bool process_exists(long pid) {
  // kill(pid, 0) sends nothing; EPERM means the process exists but belongs to someone else.
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

long temp_file_owner(const std::string& name) {
  const size_t mark = name.rfind(".tmp.");
  if (mark == std::string::npos || mark == 0) return -1;
  const std::string digits = name.substr(mark + 5);
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  const long pid = std::stol(digits);
  return pid > 0 ? pid : -1;
}

size_t remove_stale_temp_files(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return 0;
  size_t removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const long owner = temp_file_owner(entry.path().filename().string());
    if (owner < 0 || process_exists(owner) || !entry.is_regular_file(ec)) continue;
    if (std::filesystem::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace segrun::data
