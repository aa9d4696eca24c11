#pragma once
// The paper's claims, each tested on this study: holds, does not hold, or undecided at alpha
// 0.05, with the numbers that decide it (docs/REFERENCE.md section 8).
#include <string>
#include <vector>

#include "report/run_data.h"
#include "report/table.h"

namespace segrun::report {

// A run collapses when its final val mIoU is more than this below its best (0.05 = 5 points).
inline constexpr double kCollapseDrop = 0.05;
inline constexpr double kClaimAlpha = 0.05;

enum class Verdict { Holds, DoesNotHold, Undecided };
std::string verdict_text(Verdict v);

struct Claim {
  std::string statement;  // as the paper states it
  Verdict verdict = Verdict::Undecided;
  std::string evidence;  // the numbers (or what is missing) that decide it
};

// The third of the classes with the largest CE class weights (the rarest in the training
// split), or empty when the runs' class weights do not rank the classes.
std::vector<size_t> rare_classes(const StudyData& study);

// Best val mIoU minus final val mIoU of a finished run, and whether that is a collapse.
double collapse_drop(const RunData& run);
bool collapsed(const RunData& run);

std::vector<Claim> evaluate_claims(const StudyData& study);
Table claims_table(const StudyData& study);

}  // namespace segrun::report
