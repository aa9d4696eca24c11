#pragma once
// The report's gradient-dynamics paragraph, written from the logged numbers: how hard Dice pulls
// on rare against common classes (|dDice/dI_c| per class, every step), how the CE and Dice
// gradients align (their cosine), and whether a collapse follows a change in either.
#include <string>

#include "report/run_data.h"

namespace segrun::report {

std::string gradient_dynamics_text(const StudyData& study);

}  // namespace segrun::report
