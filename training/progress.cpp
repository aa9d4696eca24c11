#include "training/progress.h"

#include <unistd.h>

#include <cstdio>

namespace segrun::training {

std::string format_duration(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

Progress::Progress(std::string label, bool quiet)
    : label_(std::move(label)), quiet_(quiet), terminal_(::isatty(STDERR_FILENO) != 0) {}

void Progress::start_epoch(int epoch, int epochs, size_t steps) {
  epoch_ = epoch;
  epochs_ = epochs;
  steps_ = steps;
  images_ = 0;
  smoothed_loss_ = 0;
  start_ = std::chrono::steady_clock::now();
}

void Progress::step(size_t done, const StepRecord& record, size_t images) {
  images_ += images;
  smoothed_loss_ = done == 1 ? record.loss : 0.9 * smoothed_loss_ + 0.1 * record.loss;
  if (quiet_) return;
  const bool plain_line_due = steps_ < 10 || done % (steps_ / 10) == 0 || done == steps_;
  if (!terminal_ && !plain_line_due) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(images_) / elapsed : 0;
  const double eta = done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(steps_ - done) : 0;
  std::fprintf(stderr, "%s%s epoch %d/%d  step %zu/%zu  %.1f img/s  ETA %s  loss %.4f  scale %g%s%s",
               terminal_ ? "\r\033[K" : "", label_.c_str(), epoch_ + 1, epochs_, done, steps_, rate,
               format_duration(eta).c_str(), smoothed_loss_, record.loss_scale, record.skipped ? "  (skipped)" : "",
               terminal_ ? "" : "\n");
  std::fflush(stderr);
}

void Progress::end_epoch(const EpochRecord& r, bool best) {
  std::fprintf(stderr, "%s%s epoch %d/%d  train loss %.4f  val loss %.4f  val mIoU %.4f  pixel acc %.4f  %s%s\n",
               terminal_ && !quiet_ ? "\r\033[K" : "", label_.c_str(), r.epoch + 1, epochs_, r.train_loss, r.val_loss,
               r.val_miou, r.pixel_accuracy, format_duration(r.time_s).c_str(), best ? "  (best)" : "");
  std::fflush(stderr);
}

void Progress::note(const std::string& line) {
  std::fprintf(stderr, "%s %s\n", label_.c_str(), line.c_str());
  std::fflush(stderr);
}

}  // namespace segrun::training
