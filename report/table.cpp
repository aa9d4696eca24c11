#include "report/table.h"

#include <cmath>
#include <cstdio>

namespace segrun::report {

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

std::string table_markdown(const Table& t) {
  std::string md = "**" + t.caption + "**\n\n|";
  for (const std::string& h : t.header) md += " " + h + " |";
  md += "\n|";
  for (size_t i = 0; i < t.header.size(); ++i) md += i == 0 ? "---|" : "---:|";
  md += "\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    md += "|";
    for (const std::string& cell : t.rows[r]) {
      md += static_cast<int>(r) == t.highlight_row ? " **" + cell + "** |" : " " + cell + " |";
    }
    md += "\n";
  }
  if (!t.note.empty()) md += "\n" + t.note + "\n";
  return md + "\n";
}

std::string table_html(const Table& t) {
  std::string html = "<figure class='table'><figcaption>" + escape_html(t.caption) + "</figcaption><table><thead><tr>";
  for (const std::string& h : t.header) html += "<th>" + escape_html(h) + "</th>";
  html += "</tr></thead><tbody>";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    html += static_cast<int>(r) == t.highlight_row ? "<tr class='best'>" : "<tr>";
    for (const std::string& cell : t.rows[r]) html += "<td>" + escape_html(cell) + "</td>";
    html += "</tr>";
  }
  html += "</tbody></table>";
  if (!t.note.empty()) html += "<p class='note'>" + escape_html(t.note) + "</p>";
  return html + "</figure>\n";
}

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string signed_pp(double fraction_difference) {
  if (!std::isfinite(fraction_difference)) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%+.2f pp", 100.0 * fraction_difference);
  return buf;
}

std::string p_value(double p) {
  if (!std::isfinite(p)) return "-";
  if (p < 1e-4) return "<1e-4";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", p);
  return buf;
}

}  // namespace segrun::report
