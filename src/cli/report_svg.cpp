#include "cli/report_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ft::cli {
namespace {

constexpr double kWidth = 600, kPlotHeight = 230;
constexpr double kLeft = 72, kRight = 20, kTop = 38, kBottom = 48;
constexpr double kLegendRow = 20, kCharWidth = 7;  // approximate width of a 12px sans-serif glyph

// A [lo, hi] range widened to round-number ticks (1, 2 or 5 times a power of ten).
struct Axis {
  double lo, hi, step;
  double to_unit(double v) const { return (v - lo) / (hi - lo); }
};

Axis nice_axis(double lo, double hi) {
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / 5;
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  const double fraction = raw / magnitude;
  const double step = (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * magnitude;
  return {std::floor(lo / step) * step, std::ceil(hi / step) * step, step};
}

std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

struct Frame {
  Axis x, y;
  double px(double v) const { return kLeft + x.to_unit(v) * (kWidth - kLeft - kRight); }
  double py(double v) const { return kTop + (1 - y.to_unit(v)) * kPlotHeight; }
};

void draw_axes(std::string& svg, const Frame& f, const ChartSpec& chart) {
  const double right = kWidth - kRight, bottom = kTop + kPlotHeight;
  for (double t = f.y.lo; t <= f.y.hi + f.y.step * 1e-6; t += f.y.step) {
    const std::string y = fixed1(f.py(t));
    svg += "<line class=\"grid\" x1=\"" + fixed1(kLeft) + "\" x2=\"" + fixed1(right) + "\" y1=\"" + y +
           "\" y2=\"" + y + "\"/>";
    svg += "<text class=\"tick\" x=\"" + fixed1(kLeft - 6) + "\" y=\"" + y +
           "\" text-anchor=\"end\" dominant-baseline=\"middle\">" + format_number(t) + "</text>";
  }
  for (double t = f.x.lo; t <= f.x.hi + f.x.step * 1e-6; t += f.x.step) {
    const std::string x = fixed1(f.px(t));
    svg += "<line class=\"grid\" x1=\"" + x + "\" x2=\"" + x + "\" y1=\"" + fixed1(kTop) + "\" y2=\"" +
           fixed1(bottom) + "\"/>";
    svg += "<text class=\"tick\" x=\"" + x + "\" y=\"" + fixed1(bottom + 16) + "\" text-anchor=\"middle\">" +
           format_number(t) + "</text>";
  }
  svg += "<rect class=\"frame\" x=\"" + fixed1(kLeft) + "\" y=\"" + fixed1(kTop) + "\" width=\"" +
         fixed1(right - kLeft) + "\" height=\"" + fixed1(kPlotHeight) + "\"/>";
  svg += "<text class=\"axis-label\" x=\"" + fixed1((kLeft + right) / 2) + "\" y=\"" + fixed1(bottom + 36) +
         "\" text-anchor=\"middle\">" + html_escape(chart.x_label) + "</text>";
  svg += "<text class=\"axis-label\" transform=\"translate(16 " + fixed1(kTop + kPlotHeight / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + html_escape(chart.y_label) + "</text>";
}

void draw_series(std::string& svg, const Frame& f, const ChartSeries& s) {
  const std::string stroke = html_escape(s.color);
  svg += "<polyline class=\"series\" data-series=\"" + html_escape(s.name) + "\" stroke=\"" + stroke + "\"";
  if (s.dashed) svg += " stroke-dasharray=\"6 4\"";
  svg += " points=\"";
  for (size_t i = 0; i < s.points.size(); ++i) {
    if (i) svg += ' ';
    svg += fixed1(f.px(s.points[i].first)) + "," + fixed1(f.py(s.points[i].second));
  }
  svg += "\"/>";
  if (!s.markers && s.points.size() > 1) return;
  for (const auto& [x, y] : s.points)
    svg += "<circle class=\"marker\" cx=\"" + fixed1(f.px(x)) + "\" cy=\"" + fixed1(f.py(y)) +
           "\" r=\"3\" fill=\"" + stroke + "\"/>";
}

// Lays legend entries left to right, wrapping to new rows; returns the number of rows used.
int draw_legend(std::string& svg, const ChartSpec& chart, double top) {
  double x = kLeft, y = top;
  int rows = chart.series.empty() ? 0 : 1;
  for (const ChartSeries& s : chart.series) {
    const double width = 30 + kCharWidth * static_cast<double>(s.name.size()) + 16;
    if (x + width > kWidth - kRight && x > kLeft) {
      x = kLeft;
      y += kLegendRow;
      ++rows;
    }
    svg += "<line class=\"legend-line\" x1=\"" + fixed1(x) + "\" x2=\"" + fixed1(x + 24) + "\" y1=\"" + fixed1(y) +
           "\" y2=\"" + fixed1(y) + "\" stroke=\"" + html_escape(s.color) + "\"" +
           (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>";
    svg += "<text class=\"legend\" x=\"" + fixed1(x + 30) + "\" y=\"" + fixed1(y) +
           "\" dominant-baseline=\"middle\">" + html_escape(s.name) + "</text>";
    x += width;
  }
  return rows;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_number(double value) {
  if (std::abs(value) < 1e-12) value = 0;  // tick accumulation leaves 1e-17 where 0 is meant
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g", value);
  return buf;
}

std::string render_line_chart(const ChartSpec& chart) {
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const ChartSeries& s : chart.series)
    for (const auto& [x, y] : s.points) {
      x_lo = std::min(x_lo, x);
      x_hi = std::max(x_hi, x);
      y_lo = std::min(y_lo, y);
      y_hi = std::max(y_hi, y);
    }
  const bool empty = x_lo > x_hi;
  const Frame frame{empty ? nice_axis(0, 1) : nice_axis(x_lo, x_hi), empty ? nice_axis(0, 1) : nice_axis(y_lo, y_hi)};

  std::string body;
  body += "<text class=\"title\" x=\"" + fixed1(kLeft) + "\" y=\"22\">" + html_escape(chart.title) + "</text>";
  draw_axes(body, frame, chart);
  if (empty)
    body += "<text class=\"empty\" x=\"" + fixed1((kLeft + kWidth - kRight) / 2) + "\" y=\"" +
            fixed1(kTop + kPlotHeight / 2) + "\" text-anchor=\"middle\">no data recorded</text>";
  for (const ChartSeries& s : chart.series)
    if (!s.points.empty()) draw_series(body, frame, s);
  const double legend_top = kTop + kPlotHeight + kBottom + 10;
  const int rows = draw_legend(body, chart, legend_top);
  const double height = legend_top + rows * kLegendRow;
  return "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fixed1(kWidth) + "\" height=\"" +
         fixed1(height) + "\" viewBox=\"0 0 " + fixed1(kWidth) + " " + fixed1(height) + "\">" + body + "</svg>\n";
}

}  // namespace ft::cli
