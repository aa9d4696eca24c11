#include "training/run_records.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace segrun::training {

namespace {}  // namespace

Json number_or_null(double v) {
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}

double number_from(const Json& j) {
  if (j.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (!j.is_number()) throw std::runtime_error("expected a number or null, found " + j.dump());
  return j.get<double>();
}

namespace {

Json terms_or_null(const TermValues& terms) {
  Json out = Json::object();
  for (const auto& [name, v] : terms) out[name] = number_or_null(v);
  return out;
}

Json numbers_or_null(const std::vector<double>& values) {
  Json out = Json::array();
  for (double v : values) out.push_back(number_or_null(v));
  return out;
}

std::vector<double> numbers_from(const Json& j) {
  std::vector<double> out;
  for (const Json& v : j) out.push_back(number_from(v));
  return out;
}

TermValues terms_from(const Json& j, const char* key) {
  TermValues out;
  if (j.contains(key)) {
    for (auto it = j.at(key).begin(); it != j.at(key).end(); ++it) out[it.key()] = number_from(it.value());
  }
  return out;
}

double population_std(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size()));
}

}  // namespace

Json to_json(const StepRecord& r) {
  Json j = {{"type", "step"},
            {"epoch", r.epoch},
            {"step", r.step},
            {"loss", number_or_null(r.loss)},
            {"terms", terms_or_null(r.terms)},
            {"grad_norm", number_or_null(r.grad_norm)},
            {"loss_scale", number_or_null(r.loss_scale)},
            {"skipped", r.skipped},
            {"lr", number_or_null(r.lr)},
            {"logit_grad_norm", terms_or_null(r.logit_grad_norm)}};
  j["ce_dice_cosine"] = r.ce_dice_cosine ? number_or_null(*r.ce_dice_cosine) : Json(nullptr);
  if (!r.param_grad_norm.empty()) j["param_grad_norm"] = terms_or_null(r.param_grad_norm);
  if (!r.dice_class_grad.empty()) j["dice_class_grad"] = numbers_or_null(r.dice_class_grad);
  return j;
}

Json to_json(const PhaseTimes& p) {
  return {{"data_wait", p.data_wait}, {"forward", p.forward},       {"backward", p.backward},
          {"optimizer", p.optimizer}, {"validation", p.validation}, {"checkpoint", p.checkpoint}};
}

PhaseTimes phases_from_json(const Json& j) {
  PhaseTimes p;
  p.data_wait = number_from(j.at("data_wait"));
  p.forward = number_from(j.at("forward"));
  p.backward = number_from(j.at("backward"));
  p.optimizer = number_from(j.at("optimizer"));
  p.validation = number_from(j.at("validation"));
  p.checkpoint = number_from(j.at("checkpoint"));
  return p;
}

Json to_json(const EpochRecord& r) {
  return {{"type", "epoch"},
          {"epoch", r.epoch},
          {"train_loss", number_or_null(r.train_loss)},
          {"val_loss", number_or_null(r.val_loss)},
          {"val_miou", number_or_null(r.val_miou)},
          {"pixel_accuracy", number_or_null(r.pixel_accuracy)},
          {"per_class_iou", numbers_or_null(r.per_class_iou)},
          {"lr", number_or_null(r.lr)},
          {"time_s", r.time_s},
          {"phases_s", to_json(r.phases)}};
}

int64_t whole_number(const Json& j, const char* key, int64_t low, int64_t high) {
  const Json& v = j.at(key);
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(high)) ||
      v.get<int64_t>() < low || v.get<int64_t>() > high) {
    throw std::runtime_error(std::string(key) + " is " + v.dump() + ", expected a whole number in [" +
                             std::to_string(low) + ", " + std::to_string(high) + "]");
  }
  return v.get<int64_t>();
}

StepRecord step_from_json(const Json& j) {
  StepRecord r;
  r.epoch = static_cast<int>(whole_number(j, "epoch", 0, kMaxRecordedEpoch));
  r.step = whole_number(j, "step", 0, kMaxRecordedCount);
  r.loss = number_from(j.at("loss"));
  r.terms = terms_from(j, "terms");
  r.grad_norm = j.at("grad_norm").is_null() ? std::numeric_limits<double>::infinity() : j.at("grad_norm").get<double>();
  r.loss_scale = number_from(j.at("loss_scale"));
  r.skipped = j.at("skipped").get<bool>();
  r.lr = number_from(j.at("lr"));
  r.logit_grad_norm = terms_from(j, "logit_grad_norm");
  if (!j.at("ce_dice_cosine").is_null()) r.ce_dice_cosine = number_from(j.at("ce_dice_cosine"));
  r.param_grad_norm = terms_from(j, "param_grad_norm");
  if (j.contains("dice_class_grad")) r.dice_class_grad = numbers_from(j.at("dice_class_grad"));
  return r;
}

EpochRecord epoch_from_json(const Json& j) {
  EpochRecord r;
  r.epoch = static_cast<int>(whole_number(j, "epoch", 0, kMaxRecordedEpoch));
  r.train_loss = number_from(j.at("train_loss"));
  r.val_loss = number_from(j.at("val_loss"));
  r.val_miou = number_from(j.at("val_miou"));
  r.pixel_accuracy = number_from(j.at("pixel_accuracy"));
  r.per_class_iou = numbers_from(j.at("per_class_iou"));
  r.lr = number_from(j.at("lr"));
  r.time_s = number_from(j.at("time_s"));
  // Logs written before the phase breakdown existed have none.
  if (j.contains("phases_s")) r.phases = phases_from_json(j.at("phases_s"));
  return r;
}

RunLog read_run_log(const std::string& path) {
  RunLog log;
  for (const Json& line : read_json_lines(path)) {
    const std::string type = line.value("type", "");
    if (type == "step")
      log.steps.push_back(step_from_json(line));
    else if (type == "epoch")
      log.epochs.push_back(epoch_from_json(line));
  }
  return log;
}

RunMetrics summarise_run(const RunLog& log, const BestScores& best, double wall_time_s) {
  if (log.epochs.empty()) throw std::runtime_error("summarise_run: the run has no completed epoch");
  RunMetrics m;
  const EpochRecord& first = log.epochs.front();
  const EpochRecord& last = log.epochs.back();
  m.best_epoch = best.epoch;
  m.best_miou = best.miou;
  m.final_miou = last.val_miou;
  m.final_pixel_accuracy = last.pixel_accuracy;
  m.min_val_loss = std::numeric_limits<double>::infinity();
  for (const EpochRecord& e : log.epochs) {
    m.best_pixel_accuracy = std::max(m.best_pixel_accuracy, e.pixel_accuracy);
    m.min_val_loss = std::min(m.min_val_loss, e.val_loss);
  }
  m.mean_dice = best.mean_dice;
  m.boundary_iou = best.boundary_iou;
  m.per_class_iou = best.per_class_iou;
  m.loss_reduction_pct = first.train_loss != 0 ? 100.0 * (first.train_loss - last.train_loss) / first.train_loss : 0;
  std::vector<double> tail;
  const size_t from = log.epochs.size() > 5 ? log.epochs.size() - 5 : 0;
  for (size_t i = from; i < log.epochs.size(); ++i) tail.push_back(log.epochs[i].train_loss);
  m.stability = population_std(tail);
  double norm_sum = 0;
  long counted = 0;
  for (const StepRecord& s : log.steps) {
    if (s.skipped) {
      ++m.skipped_steps;
      continue;
    }
    norm_sum += s.grad_norm;
    ++counted;
  }
  m.avg_grad_norm = counted ? norm_sum / static_cast<double>(counted) : 0;
  m.wall_time_s = wall_time_s;
  return m;
}

Json to_json(const RunMetrics& m, const std::vector<std::string>& class_names) {
  Json per_class = Json::object();
  for (size_t c = 0; c < m.per_class_iou.size(); ++c) {
    const std::string name = c < class_names.size() ? class_names[c] : std::to_string(c);
    per_class[name] = number_or_null(m.per_class_iou[c]);
  }
  return {{"best_miou", number_or_null(m.best_miou)},
          {"best_epoch", m.best_epoch},
          {"final_miou", number_or_null(m.final_miou)},
          {"best_pixel_accuracy", number_or_null(m.best_pixel_accuracy)},
          {"final_pixel_accuracy", number_or_null(m.final_pixel_accuracy)},
          {"mean_dice", number_or_null(m.mean_dice)},
          {"boundary_iou", number_or_null(m.boundary_iou)},
          {"class_names", class_names},
          {"per_class_iou", per_class},
          {"loss_reduction_pct", number_or_null(m.loss_reduction_pct)},
          {"stability", number_or_null(m.stability)},
          {"avg_grad_norm", number_or_null(m.avg_grad_norm)},
          {"min_val_loss", number_or_null(m.min_val_loss)},
          {"skipped_steps", m.skipped_steps},
          {"wall_time_s", number_or_null(m.wall_time_s)}};
}

RunMetrics metrics_from_json(const Json& j) {
  RunMetrics m;
  m.best_miou = number_from(j.at("best_miou"));
  m.best_epoch = static_cast<int>(whole_number(j, "best_epoch", -1, kMaxRecordedEpoch));
  m.final_miou = number_from(j.at("final_miou"));
  m.best_pixel_accuracy = number_from(j.at("best_pixel_accuracy"));
  m.final_pixel_accuracy = number_from(j.at("final_pixel_accuracy"));
  m.mean_dice = number_from(j.at("mean_dice"));
  m.boundary_iou = number_from(j.at("boundary_iou"));
  for (const Json& name : j.at("class_names")) {
    const Json& v = j.at("per_class_iou").at(name.get<std::string>());
    m.per_class_iou.push_back(number_from(v));
  }
  m.loss_reduction_pct = number_from(j.at("loss_reduction_pct"));
  m.stability = number_from(j.at("stability"));
  m.avg_grad_norm = number_from(j.at("avg_grad_norm"));
  m.min_val_loss = number_from(j.at("min_val_loss"));
  m.skipped_steps = whole_number(j, "skipped_steps", 0, kMaxRecordedCount);
  m.wall_time_s = number_from(j.at("wall_time_s"));
  return m;
}

}  // namespace segrun::training
