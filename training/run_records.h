#pragma once
// What a training run records: one line per step and per epoch in log.jsonl, and the summary
// in metrics.json. The field names here are the file format (see README.md, "Run directory").
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "training/run_files.h"

namespace segrun::training {

// JSON has no NaN or infinity: every non-finite value of the run files is written as null, and
// every reader turns null back into NaN (number_from), so a diverged run stays readable.
Json number_or_null(double v);
double number_from(const Json& j);
// j[key] as a whole number in [low, high]: records are read from files, so nothing is trusted
// (a float, or an integer beyond the range, is an error naming the key, never a wrapped value).
int64_t whole_number(const Json& j, const char* key, int64_t low, int64_t high);
// Ranges of the recorded epoch numbers and step or skip counts.
inline constexpr int64_t kMaxRecordedEpoch = 1000000;
inline constexpr int64_t kMaxRecordedCount = int64_t{1} << 62;

// Loss terms are keyed "ce", "dice", "focal"; only the active (non-zero weight) terms appear.
using TermValues = std::map<std::string, double>;

// Wall seconds a training epoch spent in each phase, so a user sees where the time went. On
// CUDA the step phases end when the host has queued the work, except that the forward phase
// includes reading the loss back. `checkpoint` is the writing of the checkpoints at the end
// of the previous epoch (0 for the first epoch of a run or of a resume): each epoch line is
// written before its own checkpoint, which records it.
struct PhaseTimes {
  double data_wait = 0, forward = 0, backward = 0, optimizer = 0, validation = 0, checkpoint = 0;
};

// Seconds since it started or since the previous lap().
class PhaseClock {
 public:
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return seconds;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

struct StepRecord {
  int epoch = 0;
  long step = 0;  // global optimiser step index, counting skipped steps
  double loss = 0;
  TermValues terms;      // unweighted term values
  double grad_norm = 0;  // total parameter-gradient norm before clipping (unscaled)
  double loss_scale = 1;
  bool skipped = false;  // inf/NaN gradient: optimiser step skipped, scale halved
  double lr = 0;
  TermValues logit_grad_norm;            // || w_k dL_k/dz || per active term
  std::optional<double> ce_dice_cosine;  // cos(dL_ce/dz, dL_dice/dz) when both are active
  TermValues param_grad_norm;            // || w_k dL_k/dtheta || on probe steps only
  std::vector<double> dice_class_grad;   // per class |dDice/dI_c| when Dice is active (losses.h)
  PhaseTimes phases;                     // forward, backward, optimizer only; not in the step line
};

struct EpochRecord {
  int epoch = 0;
  double train_loss = 0;
  double val_loss = 0;
  double val_miou = 0;
  double pixel_accuracy = 0;
  std::vector<double> per_class_iou;  // NaN (null in JSON) for classes absent from GT and prediction
  double lr = 0;
  double time_s = 0;
  PhaseTimes phases;  // "phases_s" in the epoch line
};

Json to_json(const PhaseTimes& p);
PhaseTimes phases_from_json(const Json& j);
Json to_json(const StepRecord& r);
Json to_json(const EpochRecord& r);
StepRecord step_from_json(const Json& j);
EpochRecord epoch_from_json(const Json& j);

// The lines of a log.jsonl, split by kind.
struct RunLog {
  std::vector<StepRecord> steps;
  std::vector<EpochRecord> epochs;
};
RunLog read_run_log(const std::string& path);

// Scores of the best-epoch predictions on the validation split (from eval/).
struct BestScores {
  int epoch = 0;
  double miou = 0;
  double pixel_accuracy = 0;
  double mean_dice = 0;
  double boundary_iou = 0;
  std::vector<double> per_class_iou;
};

// metrics.json: the run's summary (paper Tables III-VI read from these).
struct RunMetrics {
  double best_miou = 0;
  int best_epoch = 0;
  double final_miou = 0;
  double best_pixel_accuracy = 0;
  double final_pixel_accuracy = 0;
  double mean_dice = 0;
  double boundary_iou = 0;
  std::vector<double> per_class_iou;
  double loss_reduction_pct = 0;
  double stability = 0;
  double avg_grad_norm = 0;
  double min_val_loss = 0;
  long skipped_steps = 0;
  double wall_time_s = 0;
};

// docs/REFERENCE.md section 7.5: loss reduction, stability (std of the last five
// epochs' train loss), best/final mIoU, min val loss; plus the mean pre-clip gradient norm.
RunMetrics summarise_run(const RunLog& log, const BestScores& best, double wall_time_s);
Json to_json(const RunMetrics& m, const std::vector<std::string>& class_names);
RunMetrics metrics_from_json(const Json& j);

}  // namespace segrun::training
