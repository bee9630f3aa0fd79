#include "cli/report_html.h"

#include <cmath>
#include <functional>
#include <set>

#include "cli/report_svg.h"

namespace ft::cli {
namespace {

using nlohmann::json;

const char* const kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

std::string run_color(size_t i) { return kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))]; }

constexpr const char* kStyle = R"(
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1260px;color:#222;background:#fff}
h1{font-size:24px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
.runs{margin:0;padding:0;list-style:none}.runs li{margin:3px 0}
.swatch{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:-2px;margin-right:6px}
.charts{display:flex;flex-wrap:wrap;gap:16px}
.chart{background:#fff;border:1px solid #e3e3e3;border-radius:6px}
.chart .title{font-size:15px;font-weight:bold;fill:#222}
.chart .tick,.chart .legend{font-size:12px;fill:#444}.chart .axis-label{font-size:12px;fill:#555}
.chart .grid{stroke:#ececec;stroke-width:1}.chart .frame{fill:none;stroke:#999;stroke-width:1}
.chart .series{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
.chart .legend-line{stroke-width:2.5}.chart .empty{font-size:14px;fill:#999}
table{border-collapse:collapse;font-size:13px;margin-bottom:8px}
th,td{border:1px solid #ddd;padding:4px 10px;text-align:left}th{background:#f5f5f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.diff td{background:#fff6d6}
.note{color:#666;font-size:13px}
)";

// Thousands separators for integers, "%.4g" otherwise.
std::string format_value(double v) {
  if (!std::isfinite(v)) return "—";
  if (v == std::floor(v) && std::abs(v) < 1e15) {
    std::string digits = std::to_string(static_cast<long long>(std::abs(v)));
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
    return (v < 0 ? "-" : "") + digits;
  }
  return format_number(v);
}

std::string json_cell(const json& v) {
  if (v.is_null()) return "—";
  if (v.is_string()) return html_escape(v.get<std::string>());
  if (v.is_number()) return format_value(v.get<double>());
  return html_escape(v.dump());
}


// The run's finite values of `field` (times `scale`) against the step.
ChartSeries series_of(const RunData& run, const std::vector<MetricRecord>& records, const std::string& field,
                      double scale) {
  ChartSeries s;
  s.name = run.label;
  for (const MetricRecord& r : records) {
    const double v = r.get(field) * scale;
    if (std::isfinite(v)) s.points.emplace_back(static_cast<double>(r.step), v);
  }
  return s;
}

std::string metric_chart(const std::vector<RunData>& runs, const std::string& title, const std::string& y_label,
                         const std::string& field, double scale = 1) {
  ChartSpec chart{title, "step", y_label, {}};
  for (size_t i = 0; i < runs.size(); ++i) {
    chart.series.push_back(series_of(runs[i], runs[i].train, field, scale));
    chart.series.back().color = run_color(i);
  }
  return render_line_chart(chart);
}

std::string loss_chart(const std::vector<RunData>& runs) {
  ChartSpec chart{"Loss", "step", "cross-entropy loss", {}};
  for (size_t i = 0; i < runs.size(); ++i) {
    ChartSeries train = series_of(runs[i], runs[i].train, "loss", 1);
    train.name = runs[i].label + " train";
    train.color = run_color(i);
    ChartSeries eval = series_of(runs[i], runs[i].eval, "eval_loss", 1);
    eval.name = runs[i].label + " eval";
    eval.color = run_color(i);
    eval.dashed = eval.markers = true;
    chart.series.push_back(std::move(train));
    if (!eval.points.empty()) chart.series.push_back(std::move(eval));
  }
  return render_line_chart(chart);
}

// The finished run's summary line, else all_results.json, else the last records so far.
double final_metric(const RunData& run, const std::string& field) {
  if (run.summary && std::isfinite(run.summary->get(field))) return run.summary->get(field);
  const auto it = run.all_results.is_object() ? run.all_results.find(field) : run.all_results.end();
  if (it != run.all_results.end() && it->is_number()) return it->get<double>();
  if (field == "train_loss" && !run.train.empty()) return run.train.back().get("loss");
  if (field.rfind("eval_", 0) == 0 && !run.eval.empty()) return run.eval.back().get(field);
  return NAN;
}

std::string status_of(const RunData& run) {
  if (run.summary) return "finished at step " + std::to_string(run.summary->step);
  if (!run.train.empty()) return "in progress or stopped: last step " + std::to_string(run.train.back().step);
  return "no training steps recorded yet";
}

std::string runs_list(const std::vector<RunData>& runs) {
  std::string out = "<ul class=\"runs\">";
  for (size_t i = 0; i < runs.size(); ++i) {
    const json model = runs[i].config.value("model", json::object());
    out += "<li><span class=\"swatch\" style=\"background:" + run_color(i) + "\"></span><b>" +
           html_escape(runs[i].label) + "</b> — " + html_escape(runs[i].dir) + " — model " +
           json_cell(model.value("name_or_path", json())) + " — " + html_escape(status_of(runs[i])) + "</li>";
  }
  return out + "</ul>\n";
}

std::string table_header(const std::vector<RunData>& runs, const std::string& first) {
  std::string out = "<table><tr><th>" + html_escape(first) + "</th>";
  for (const RunData& r : runs) out += "<th>" + html_escape(r.label) + "</th>";
  return out + "</tr>\n";
}

std::string final_metrics_table(const std::vector<RunData>& runs) {
  const std::pair<const char*, const char*> fields[] = {
      {"train_loss", "train loss"},       {"eval_loss", "eval loss"},
      {"eval_perplexity", "eval perplexity"}, {"train_runtime", "train runtime (s)"},
      {"train_tokens_per_second", "train tokens/s"}, {"epoch", "epoch"}};
  std::string out = table_header(runs, "metric");
  out += "<tr><td>steps</td>";
  for (const RunData& r : runs)
    out += "<td class=\"num\">" +
           (r.summary ? format_value(static_cast<double>(r.summary->step))
                      : r.train.empty() ? "—" : format_value(static_cast<double>(r.train.back().step))) +
           "</td>";
  out += "</tr>\n";
  for (const auto& [field, name] : fields) {
    out += "<tr><td>" + std::string(name) + "</td>";
    for (const RunData& r : runs) {
      double v = final_metric(r, field);
      if (field == std::string("epoch") && !std::isfinite(v) && !r.train.empty()) v = r.train.back().get("epoch");
      out += "<td class=\"num\">" + format_value(v) + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

// Rows = the union of keys of config[section] over the runs; rows whose values differ are marked.
std::string section_table(const std::vector<RunData>& runs, const std::string& section, const std::string& first) {
  std::set<std::string> keys;
  for (const RunData& r : runs)
    if (r.config.contains(section) && r.config[section].is_object())
      for (const auto& [k, v] : r.config[section].items()) keys.insert(k);
  if (keys.empty()) return "<p class=\"note\">not recorded in run_config.json</p>\n";
  std::string out = table_header(runs, first);
  for (const std::string& k : keys) {
    std::vector<json> values;
    for (const RunData& r : runs) {
      const json s = r.config.value(section, json::object());
      values.push_back(s.is_object() ? s.value(k, json()) : json());
    }
    const bool differs = std::any_of(values.begin(), values.end(), [&](const json& v) { return v != values[0]; });
    out += std::string(differs && runs.size() > 1 ? "<tr class=\"diff\">" : "<tr>") + "<td>" + html_escape(k) + "</td>";
    for (const json& v : values) out += std::string(v.is_number() ? "<td class=\"num\">" : "<td>") + json_cell(v) + "</td>";
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string system_table(const std::vector<RunData>& runs) {
  std::string out = table_header(runs, "system");
  for (const char* key : {"world_size", "cpu"}) {
    out += std::string("<tr><td>") + key + "</td>";
    for (const RunData& r : runs) out += "<td>" + json_cell(r.config.value(key, json())) + "</td>";
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

}  // namespace

std::string render_report(const std::vector<RunData>& runs) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<title>finetune report: " + html_escape(runs.empty() ? "" : runs[0].label) +
          (runs.size() > 1 ? " and " + std::to_string(runs.size() - 1) + " more" : "") + "</title>\n";
  html += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n<h1>Fine-tuning report</h1>\n";
  html += runs_list(runs);
  html += "<h2>Training curves</h2>\n<div class=\"charts\">\n";
  html += loss_chart(runs);
  html += metric_chart(runs, "Learning rate", "learning rate", "learning_rate");
  html += metric_chart(runs, "Gradient norm", "global L2 norm (before clipping)", "grad_norm");
  html += metric_chart(runs, "Throughput", "tokens / second", "tokens_per_second");
  html += metric_chart(runs, "Memory", "peak RSS (MiB)", "peak_rss_bytes", 1.0 / (1024.0 * 1024.0));
  html += "</div>\n<h2>Final metrics</h2>\n" + final_metrics_table(runs);
  html += "<h2>Model</h2>\n" + section_table(runs, "model", "model") + system_table(runs);
  html += "<h2>Data</h2>\n" + section_table(runs, "data", "statistic");
  html += "<h2>Configuration</h2>\n<p class=\"note\">Flags whose values differ between runs are highlighted.</p>\n";
  html += section_table(runs, "args", "flag");
  return html + "</body>\n</html>\n";
}

}  // namespace ft::cli
