#pragma once
// How segrun's CPU threads share the machine: how many cores the process may really use, how
// those are split between kernel and loader threads, and how idle kernel threads wait.
#include <cstdint>
#include <optional>
#include <string>

namespace segrun {

// A cgroup CPU bandwidth limit: `quota_us` of CPU time per `period_us` of wall time.
struct CpuQuota {
  int64_t quota_us = 0, period_us = 0;
};

// Parses a cgroup v2 `cpu.max` line ("150000 100000"); nullopt for "max ..." (no limit) or
// anything unreadable.
std::optional<CpuQuota> parse_cgroup_cpu_max(const std::string& text);

// Cores' worth of CPU time a process may use: the CPUs its affinity mask allows, capped by a
// quota (rounded down: 1.5 cores of quota run one thread unthrottled, two would stall in
// turn). Never below 1.
int usable_cpus(int affinity_cpus, const std::optional<CpuQuota>& quota);

// usable_cpus() for this process now: sched_getaffinity and the tightest cpu.max on the path
// from its cgroup to the root.
int available_cpus();

// Threads of one training process. Kernel threads wait for one another at every barrier, so
// they get every available core; the loader threads fill their queue in the gaps (they run at
// a lower priority, see data/loader.cpp), and more of them than half the cores only adds
// contention. A request of 0 means "choose"; an explicit request is kept as asked.
struct ThreadPlan {
  int kernel_threads = 1, loader_threads = 1;
};
ThreadPlan plan_threads(int cpus, int requested_kernel, int requested_loader);

// Called first in main(). OpenMP threads that spin long while waiting for work steal the core
// that a preempted sibling needs on a busy machine, and the whole team then waits for that one
// thread; threads that sleep at once pay a wake-up at every small op. The process re-executes
// itself once with a short spin (GOMP_SPINCOUNT=300) unless the
// environment already chose a wait policy (the OpenMP runtime reads it only when it loads).
// Then sets the kernel thread count to available_cpus() unless OMP_NUM_THREADS is set.
void configure_cpu_runtime(char** argv);

}  // namespace segrun
