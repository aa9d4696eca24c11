// How many threads segrun runs: the affinity mask and the cgroup quota bound them, not the
// machine's CPU count.
#include "engine/cpu_runtime.h"

#include <doctest/doctest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

namespace segrun {
namespace {

TEST_CASE("cgroup cpu.max lines: a quota, no limit, or unreadable") {
  const std::optional<CpuQuota> q = parse_cgroup_cpu_max("150000 100000");
  REQUIRE(q.has_value());
  CHECK(q->quota_us == 150000);
  CHECK(q->period_us == 100000);
  CHECK_FALSE(parse_cgroup_cpu_max("max 100000").has_value());
  CHECK_FALSE(parse_cgroup_cpu_max("").has_value());
  CHECK_FALSE(parse_cgroup_cpu_max("12x 100000").has_value());
  CHECK_FALSE(parse_cgroup_cpu_max("100000 0").has_value());
}

TEST_CASE("usable cpus: the affinity mask, capped by the quota rounded down, at least one") {
  CHECK(usable_cpus(8, std::nullopt) == 8);
  CHECK(usable_cpus(8, CpuQuota{200000, 100000}) == 2);
  CHECK(usable_cpus(8, CpuQuota{150000, 100000}) == 1);
  CHECK(usable_cpus(2, CpuQuota{400000, 100000}) == 2);
  CHECK(usable_cpus(4, CpuQuota{50000, 100000}) == 1);
  CHECK(usable_cpus(0, std::nullopt) == 1);
}

TEST_CASE("thread plan: kernel threads on every core, loader threads on half, explicit requests kept") {
  const ThreadPlan two = plan_threads(2, 0, 0);
  CHECK(two.kernel_threads == 2);
  CHECK(two.loader_threads == 1);
  const ThreadPlan eight = plan_threads(8, 0, 0);
  CHECK(eight.kernel_threads == 8);
  CHECK(eight.loader_threads == 4);
  const ThreadPlan asked = plan_threads(2, 3, 4);
  CHECK(asked.kernel_threads == 3);
  CHECK(asked.loader_threads == 4);
  CHECK(plan_threads(1, 0, 0).loader_threads == 1);
}

TEST_CASE("available cpus follow the process's affinity mask") {
  // A child process narrows its own mask to one CPU, so the test runner keeps its own.
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
    if (sched_setaffinity(0, sizeof(one), &one) != 0) _exit(2);
    _exit(available_cpus() == 1 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(available_cpus() >= 1);
}

}  // namespace
}  // namespace segrun
