#include "training/run_files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "data/image_io.h"

namespace segrun::training {

namespace fs = std::filesystem;

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string temp = data::temporary_path(path);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(path + ": cannot open for writing");
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      out.close();
      fs::remove(temp);
      throw std::runtime_error(path + ": write failed (disk full?)");
    }
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp);
    throw std::runtime_error(path + ": cannot replace file (" + ec.message() + ")");
  }
}

void write_json_atomic(const std::string& path, const Json& value) {
  write_file_atomic(path, value.dump(2) + "\n");
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Json read_json_file(const std::string& path) {
  const std::string text = read_text_file(path);
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw std::runtime_error(path + ": invalid JSON (" + e.what() + ")");
  }
}

void append_json_line(const std::string& path, const Json& value) {
  std::ofstream out(path, std::ios::app);
  if (!out) throw std::runtime_error(path + ": cannot open for appending");
  out << value.dump() << '\n';
  out.flush();
}

std::vector<Json> read_json_lines(const std::string& path) {
  std::vector<Json> lines;
  std::ifstream in(path);
  if (!in) return lines;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    Json value = Json::parse(line, nullptr, false);
    if (value.is_discarded()) break;
    lines.push_back(std::move(value));
  }
  return lines;
}

bool file_exists(const std::string& path) {
  return fs::exists(path);
}

void make_directories(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw std::runtime_error(path + ": cannot create directory (" + ec.message() + ")");
}

std::string join_path(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

void crash_point(const char* name) {
  const char* wanted = std::getenv("SEGRUN_CRASH_AT");
  if (wanted && std::strcmp(wanted, name) == 0) ::raise(SIGKILL);
}

DirectoryLock::DirectoryLock(const std::string& dir, const std::string& flag) {
  const std::string path = join_path(dir, "segrun.lock");
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error(path + ": cannot open lock file (" + std::strerror(errno) + ")");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char holder[32] = {};
    const ssize_t got = ::pread(fd_, holder, sizeof holder - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (error != EWOULDBLOCK) throw std::runtime_error(path + ": cannot lock (" + std::strerror(error) + ")");
    const std::string pid = got > 0 ? std::string(holder, static_cast<size_t>(got)) : "unknown";
    throw std::runtime_error(flag + " " + dir + " is in use by another segrun (process " +
                             pid.substr(0, pid.find('\n')) + " holds " + path + ")");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error(path + ": cannot record the lock holder (" + std::strerror(errno) + ")");
  }
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace segrun::training
