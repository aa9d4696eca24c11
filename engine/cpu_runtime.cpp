#include "engine/cpu_runtime.h"

#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace segrun {

std::optional<CpuQuota> parse_cgroup_cpu_max(const std::string& text) {
  std::istringstream in(text);
  std::string quota;
  int64_t period = 0;
  if (!(in >> quota >> period) || quota == "max" || period <= 0) return std::nullopt;
  try {
    size_t used = 0;
    const int64_t q = std::stoll(quota, &used);
    if (used != quota.size() || q <= 0) return std::nullopt;
    return CpuQuota{q, period};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

int usable_cpus(int affinity_cpus, const std::optional<CpuQuota>& quota) {
  int cpus = std::max(1, affinity_cpus);
  if (quota) cpus = std::min<int64_t>(cpus, std::max<int64_t>(1, quota->quota_us / quota->period_us));
  return cpus;
}

namespace {

int affinity_cpu_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0)
    return static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  return CPU_COUNT(&set);
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The process's cgroup v2 path ("0::/a/b" in /proc/self/cgroup), "" when there is none.
std::string own_cgroup_path() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return "";
}

// A limit on any ancestor cgroup binds too: the tightest one on the way up counts.
std::optional<CpuQuota> tightest_cgroup_quota() {
  std::optional<CpuQuota> tightest;
  std::string path = own_cgroup_path();
  for (;;) {
    const std::optional<CpuQuota> q = parse_cgroup_cpu_max(read_first_line("/sys/fs/cgroup" + path + "/cpu.max"));
    if (q && (!tightest || q->quota_us * tightest->period_us < tightest->quota_us * q->period_us)) tightest = q;
    const size_t slash = path.find_last_of('/');
    if (path.empty() || slash == std::string::npos) break;
    path = path.substr(0, slash);
  }
  return tightest;
}

}  // namespace

int available_cpus() {
  return usable_cpus(affinity_cpu_count(), tightest_cgroup_quota());
}

ThreadPlan plan_threads(int cpus, int requested_kernel, int requested_loader) {
  cpus = std::max(1, cpus);
  ThreadPlan plan;
  plan.kernel_threads = requested_kernel > 0 ? requested_kernel : cpus;
  plan.loader_threads = requested_loader > 0 ? requested_loader : std::max(1, cpus / 2);
  return plan;
}

namespace {
// How long an idle kernel thread spins before it sleeps: a fraction of a microsecond.
// Measured on 2 cores (scripts/bench-wait-policy.sh, docs/PERF.md): sleeping at once made
// small training steps 20-30% slower on a quiet machine, since waking costs more than a short
// op; OpenMP's default of 300000 spins made a busy machine 5-10x slower. 300 spins keeps most
// of the quiet speed and stays within 6% of sleeping at once with a busy process beside it
// (1000 and 3000 spins: 20% and 50% slower there).
constexpr const char* kWaitSpins = "300";
}  // namespace

void configure_cpu_runtime(char** argv) {
  if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT") && argv && argv[0]) {
    ::setenv("GOMP_SPINCOUNT", kWaitSpins, 1);
    // By its real path, so that ps and top show the program's name rather than "exe".
    char path[4096];
    const ssize_t length = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (length > 0) {
      path[length] = '\0';
      ::execv(path, argv);
    }
    ::execv("/proc/self/exe", argv);
    // Only reached when the re-execution failed: run on with OpenMP's default waiting.
  }
  if (!std::getenv("OMP_NUM_THREADS")) omp_set_num_threads(available_cpus());
}

}  // namespace segrun
