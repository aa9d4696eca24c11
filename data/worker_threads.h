#pragma once
// Short-lived worker threads that are always joined, even when the system refuses to start one.
#include <functional>

namespace segrun::data {

// Runs work(t) for t = 0 .. threads-1, t = 0 on the calling thread and the others on new threads,
// and joins them all. When a thread cannot be started, the ones already running are joined and
// std::runtime_error says how many of `what`'s threads were asked for. `work` must not throw.
void run_on_threads(int threads, const std::function<void(int)>& work, const char* what);

}  // namespace segrun::data
