#pragma once
// Temporary files of writes that never finished. Every writer names its temporary
// `<target>.tmp.<pid>` (see temporary_path), so a temporary whose process is gone is garbage.
#include <string>

namespace segrun::data {

// Removes every `*.tmp.<pid>` file directly in `dir` whose process no longer exists; returns how
// many were removed. A missing folder holds none.
size_t remove_stale_temp_files(const std::string& dir);

// The writer's PID encoded in a temporary file name, or -1 when `name` is not one.
long temp_file_owner(const std::string& name);

}  // namespace segrun::data
