#pragma once
// The report's content, and its rendering as one self-contained HTML page.
#include <string>
#include <vector>

#include "report/report_figures.h"
#include "report/report_writer.h"
#include "report/table.h"

namespace segrun::report {

struct ReportContent {
  std::string title;
  std::string setup;
  std::vector<std::string> findings;
  std::vector<Table> tables;
  Table per_class;
  std::vector<Figure> convergence;
  std::string gradient_note;
  std::vector<Figure> gradients;
  std::string panel_note;
  std::vector<Panel> panels;
  std::vector<std::string> class_names;
  Palette palette;
};

// Inline CSS and SVG, PNG panels as base64 data URIs: the file opens anywhere on its own.
std::string html_document(const ReportContent& c);

}  // namespace segrun::report
