#include "apps/segrun/run_files.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace segrun::app {

namespace fs = std::filesystem;

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(path + ": cannot open for writing");
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) throw std::runtime_error(path + ": write failed");
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

}  // namespace segrun::app
