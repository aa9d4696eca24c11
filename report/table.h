#pragma once
// A table of the report, rendered once as Markdown and once as HTML.
#include <string>
#include <vector>

namespace segrun::report {

struct Table {
  std::string caption;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string note;        // printed under the table
  int highlight_row = -1;  // bold in both renderings (e.g. the best configuration)
};

std::string table_markdown(const Table& t);
std::string table_html(const Table& t);
std::string escape_html(const std::string& s);

// Number formatting shared by all tables.
std::string fixed(double v, int decimals);          // "-" for non-finite values
std::string signed_pp(double fraction_difference);  // 0.0224 -> "+2.24 pp"
std::string p_value(double p);                      // "0.0312", "<1e-4"

}  // namespace segrun::report
