#include "cli/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "cli/report_render.h"

namespace sluice::cli {
namespace {

constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
constexpr int kWidth = 960;

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string Num(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

// A round number at least `value` (1, 2 or 5 times a power of ten).
double NiceCeiling(double value) {
  if (value <= 0) return 1;
  const double power = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 5.0, 10.0}) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

// Rejects over time, stacked by class, the flood periods shaded behind the bars.
std::string TimeChart(const ReportData& d, const std::map<std::string, std::string>& colour) {
  const int left = 70, right = 20, top = 28, bottom = 40, height = 330;
  const double plot_w = kWidth - left - right, plot_h = height - top - bottom;
  const double span = static_cast<double>(d.to_s - d.from_s);
  auto x = [&](int64_t t) {
    return left + plot_w * static_cast<double>(std::clamp(t, d.from_s, d.to_s) - d.from_s) / span;
  };
  uint64_t peak = 0;
  for (const Bucket& bucket : d.over_time) {
    uint64_t total = 0;
    for (const Count& count : bucket.by_class) total += count.second;
    peak = std::max(peak, total);
  }
  const double y_max = NiceCeiling(static_cast<double>(peak));
  auto y = [&](double v) { return top + plot_h - plot_h * v / y_max; };
  std::ostringstream svg;
  svg << "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth
      << "\" height=\"" << height << "\" viewBox=\"0 0 " << kWidth << " " << height
      << "\" role=\"img\" aria-label=\"rejects over time by class\">\n";
  // Flood periods: shaded behind the bars, and a band above the plot that bars cannot hide.
  for (const auto& [start, end] : d.floods) {
    const double w = std::max(2.0, x(end) - x(start));
    svg << "<rect class=\"flood\" x=\"" << Num(x(start)) << "\" y=\"" << top << "\" width=\""
        << Num(w) << "\" height=\"" << plot_h
        << "\" fill=\"#f4cccc\"><title>flood: " << UtcMinute(start) << " to " << UtcMinute(end)
        << " UTC</title></rect>\n"
        << "<rect x=\"" << Num(x(start)) << "\" y=\"" << top - 14 << "\" width=\"" << Num(w)
        << "\" height=\"8\" fill=\"#c0392b\"/>";
    const bool near_end = x(start) > kWidth - right - 40;  // the label would leave the chart
    svg << "<text x=\"" << Num(near_end ? x(start) + w : x(start)) << "\" y=\"" << top - 17
        << "\" font-size=\"11\" fill=\"#c0392b\" text-anchor=\"" << (near_end ? "end" : "start")
        << "\">flood</text>\n";
  }
  for (int i = 0; i <= 4; ++i) {
    const double v = y_max * i / 4;
    svg << "<line x1=\"" << left << "\" x2=\"" << kWidth - right << "\" y1=\"" << Num(y(v))
        << "\" y2=\"" << Num(y(v)) << "\" stroke=\"#ddd\"/><text x=\"" << left - 6 << "\" y=\""
        << Num(y(v) + 4) << "\" font-size=\"11\" text-anchor=\"end\">"
        << Thousands(static_cast<uint64_t>(v)) << "</text>\n";
  }
  for (const Bucket& bucket : d.over_time) {
    // A bucket cut by the period's ends is drawn only inside it.
    const double bar_x = x(bucket.start);
    const double bar_w = std::max(1.0, x(bucket.start + d.bucket_s) - bar_x - 1);
    double base = 0;
    for (const auto& [name, n] : bucket.by_class) {
      const double v = static_cast<double>(n);
      svg << "<rect class=\"bar\" x=\"" << Num(bar_x) << "\" y=\"" << Num(y(base + v))
          << "\" width=\"" << Num(bar_w) << "\" height=\"" << Num(y(base) - y(base + v))
          << "\" fill=\"" << colour.at(name) << "\"><title>" << UtcMinute(bucket.start) << " "
          << Escape(name) << ": " << Thousands(n) << "</title></rect>\n";
      base += v;
    }
  }
  for (int i = 0; i <= 4; ++i) {
    const int64_t t = d.from_s + (d.to_s - d.from_s) * i / 4;
    svg << "<text x=\"" << Num(x(t)) << "\" y=\"" << height - bottom + 16
        << "\" font-size=\"11\" text-anchor=\""
        << (i == 0   ? "start"
            : i == 4 ? "end"
                     : "middle")
        << "\">" << UtcMinute(t) << "</text>\n";
  }
  svg << "<line x1=\"" << left << "\" x2=\"" << kWidth - right << "\" y1=\"" << Num(y(0))
      << "\" y2=\"" << Num(y(0)) << "\" stroke=\"#333\"/>\n</svg>\n<p class=\"legend\">";
  for (const Count& count : d.by_class) {
    svg << "<span><i style=\"background:" << colour.at(count.first) << "\"></i>"
        << Escape(count.first) << "</span> ";
  }
  if (!d.floods.empty()) svg << "<span><i style=\"background:#f4cccc\"></i>flood period</span>";
  svg << "</p>\n";
  return svg.str();
}

// One horizontal bar per entry, longest first.
std::string BarChart(const std::string& title, const std::vector<Count>& counts) {
  if (counts.empty()) return "";
  const int label_w = 260, value_w = 90, row_h = 22;
  const int height = row_h * static_cast<int>(counts.size()) + 10;
  const double bar_max = kWidth - label_w - value_w;
  uint64_t peak = 0;
  for (const Count& count : counts) peak = std::max(peak, count.second);
  std::ostringstream svg;
  svg << "<h3>" << Escape(title)
      << "</h3>\n<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth
      << "\" height=\"" << height << "\" role=\"img\" aria-label=\"" << Escape(title) << "\">\n";
  for (size_t i = 0; i < counts.size(); ++i) {
    const double w = bar_max * static_cast<double>(counts[i].second) /
                     static_cast<double>(std::max<uint64_t>(peak, 1));
    const int y = static_cast<int>(i) * row_h + 5;
    std::string label = counts[i].first;
    if (label.size() > 40) label = label.substr(0, 39) + "…";
    svg << "<text x=\"" << label_w - 8 << "\" y=\"" << y + 15
        << "\" font-size=\"12\" text-anchor=\"end\">" << Escape(label)
        << "</text><rect class=\"bar\" x=\"" << label_w << "\" y=\"" << y << "\" width=\""
        << Num(std::max(1.0, w)) << "\" height=\"" << row_h - 6 << "\" fill=\"" << kPalette[0]
        << "\"/><text x=\"" << Num(label_w + std::max(1.0, w) + 6) << "\" y=\"" << y + 15
        << "\" font-size=\"12\">" << Thousands(counts[i].second) << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

std::string HtmlTable(const ReportTable& table) {
  std::ostringstream out;
  out << "<h3>" << Escape(table.title) << "</h3>\n";
  if (table.rows.empty()) return out.str() + "<p>(none)</p>\n";
  out << "<table>\n<tr>";
  for (const std::string& header : table.headers) out << "<th>" << Escape(header) << "</th>";
  out << "</tr>\n";
  for (const auto& row : table.rows) {
    out << "<tr>";
    for (size_t i = 0; i < row.size(); ++i) {
      out << (i == 0 ? "<td>" : "<td class=\"n\">") << Escape(row[i]) << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</table>\n";
  return out.str();
}

}  // namespace

std::string ReportHtml(const ReportData& data) {
  std::map<std::string, std::string> colour;
  for (const Count& count : data.by_class) {
    colour.emplace(count.first, kPalette[colour.size() % std::size(kPalette)]);
  }
  for (const Bucket& bucket : data.over_time) {  // classes only in buckets outside the top N
    for (const Count& count : bucket.by_class) {
      colour.emplace(count.first, kPalette[colour.size() % std::size(kPalette)]);
    }
  }
  const std::vector<ReportTable> tables = ReportTables(data);
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
      << Escape(ReportHeading(data)) << "</title>\n<style>\n"
      << "body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}"
         "table{border-collapse:collapse;margin-bottom:8px}"
         "td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:left}"
         "td.n{text-align:right;font-variant-numeric:tabular-nums}"
         ".legend span{margin-right:14px;font-size:13px}"
         ".legend i{display:inline-block;width:11px;height:11px;margin-right:4px}\n"
      << "</style>\n</head>\n<body>\n<h1>" << Escape(ReportHeading(data)) << "</h1>\n";
  out << HtmlTable(tables[0]);
  out << "<h2>Rejects over time by class (UTC)</h2>\n" << TimeChart(data, colour);
  out << "<h2>Who, and why</h2>\n"
      << BarChart("Rejects by class", data.by_class)
      << BarChart("Top client addresses", data.clients)
      << BarChart("Top networks (/24, /64)", data.networks) << BarChart("Top RBLs", data.rbls)
      << BarChart("Top targeted recipients (detail rows)", data.recipients)
      << BarChart("Top sender domains (detail rows)", data.sender_domains)
      << BarChart("By MTA host", data.hosts);
  out << "<h2>The figures</h2>\n";
  for (size_t i = 1; i < tables.size(); ++i) out << HtmlTable(tables[i]);
  out << "<p>Generated by sluice report from sluice.rejects (detail rows and aggregates) and "
         "sluice.shed.</p>\n</body>\n</html>\n";
  return out.str();
}

}  // namespace sluice::cli
