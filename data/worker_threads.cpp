#include "data/worker_threads.h"

#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace segrun::data {

void run_on_threads(int threads, const std::function<void(int)>& work, const char* what) {
  std::vector<std::thread> workers;
  std::string failure;
  for (int t = 1; t < threads && failure.empty(); ++t) {
    try {
      workers.emplace_back(work, t);
    } catch (const std::system_error& e) {
      failure = std::string(what) + ": cannot start thread " + std::to_string(t + 1) + " of " +
                std::to_string(threads) + " (" + e.what() + "); use fewer threads";
    }
  }
  // Every started thread is joined before anything else happens: a std::thread destroyed while
  // joinable would terminate the process.
  if (failure.empty()) work(0);
  for (std::thread& w : workers) w.join();
  if (!failure.empty()) throw std::runtime_error(failure);
}

}  // namespace segrun::data
