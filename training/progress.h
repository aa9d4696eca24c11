#pragma once
// Training progress on stderr: a one-line bar redrawn in place on a terminal (epoch, step,
// img/s, ETA, loss, loss scale), a plain line every tenth of an epoch otherwise.
#include <chrono>
#include <string>

#include "training/run_records.h"

namespace segrun::training {

class Progress {
 public:
  Progress(std::string label, bool quiet);
  void start_epoch(int epoch, int epochs, size_t steps);
  void step(size_t done, const StepRecord& record, size_t images);
  void end_epoch(const EpochRecord& record, bool best);
  void note(const std::string& line);

 private:
  std::string label_;
  bool quiet_;
  bool terminal_;
  int epoch_ = 0, epochs_ = 0;
  size_t steps_ = 0, images_ = 0;
  double smoothed_loss_ = 0;
  std::chrono::steady_clock::time_point start_;
};

std::string format_duration(double seconds);

}  // namespace segrun::training
