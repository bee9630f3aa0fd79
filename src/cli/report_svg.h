// Line charts as inline SVG for `finetune report`: axes with round-number ticks, one <polyline>
// per series (class "series", data-series = its name, one point per data point), optional dashes
// and point markers, and a legend under the plot. No scripts, fonts or network resources.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace ft::cli {

struct ChartSeries {
  std::string name;   // legend text
  std::string color;  // any CSS color
  bool dashed = false;
  bool markers = false;  // a dot on every point (sparse series such as evaluations)
  std::vector<std::pair<double, double>> points;  // (x, y), finite, x ascending
};

struct ChartSpec {
  std::string title, x_label, y_label;
  std::vector<ChartSeries> series;
};

std::string render_line_chart(const ChartSpec& chart);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(const std::string& text);

// "%.4g" without trailing noise: 0.30000000000000004 -> "0.3", 1.9e-4 -> "0.00019".
std::string format_number(double value);

}  // namespace ft::cli
