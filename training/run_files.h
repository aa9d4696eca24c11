#pragma once
// File primitives of a run directory: atomic rewrites, JSON and JSON-lines I/O.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace segrun::training {

using Json = nlohmann::json;

// Writes `text` to `path` through a temporary file in the same folder and a rename, so a reader
// (or a run interrupted mid-write) never sees a partial file.
void write_file_atomic(const std::string& path, const std::string& text);
void write_json_atomic(const std::string& path, const Json& value);

std::string read_text_file(const std::string& path);
// Throws std::runtime_error naming the file when it is missing or not valid JSON.
Json read_json_file(const std::string& path);

// Appends one compact JSON object as a line and flushes it to the file.
void append_json_line(const std::string& path, const Json& value);
// Every complete line of a JSON-lines file; a truncated last line (a killed writer) is dropped.
std::vector<Json> read_json_lines(const std::string& path);

bool file_exists(const std::string& path);
void make_directories(const std::string& path);
std::string join_path(const std::string& dir, const std::string& name);

// Crash-safety tests name a point with SEGRUN_CRASH_AT=<name>; the process then kills itself
// there with SIGKILL, as a power cut or `kill -9` would. Without the variable this does nothing.
void crash_point(const char* name);

// An advisory lock (flock) on `<dir>/segrun.lock`, held while the object lives; the file records
// the holder's PID. A second process (or a second lock in this one) fails with one line naming
// the folder and the holder, so two runs never interleave their writes in one folder.
class DirectoryLock {
 public:
  // `flag` names the folder in the message, e.g. "--out".
  DirectoryLock(const std::string& dir, const std::string& flag);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace segrun::training
