// `finetune report OUTPUT_DIR [OTHER_OUTPUT_DIR...] [--output FILE]`: one self-contained HTML page
// (inline SVG charts, no network) comparing the runs; FILE defaults to OUTPUT_DIR/report.html.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/report_data.h"
#include "cli/report_html.h"
#include "core/error.h"

namespace ft::cli {
namespace {

struct ReportOptions {
  std::vector<std::string> dirs;
  std::string output;
};

void run_report(const ReportOptions& options) {
  const std::vector<RunData> runs = load_runs(options.dirs);
  const std::string output =
      options.output.empty() ? (std::filesystem::path(options.dirs.front()) / "report.html").string() : options.output;
  const std::string html = render_report(runs);
  std::FILE* f = std::fopen(output.c_str(), "wb");
  if (!f) fail_usage("--output " + output + ": cannot write the report: " + std::strerror(errno));
  const bool ok = std::fwrite(html.data(), 1, html.size(), f) == html.size();
  if (std::fclose(f) != 0 || !ok) fail_usage("--output " + output + ": cannot write the report: " + std::strerror(errno));
  std::printf("wrote %s (%zu run%s)\n", output.c_str(), runs.size(), runs.size() == 1 ? "" : "s");
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand("report", "Write an HTML report with the curves and metrics of one or more runs");
  cmd->add_option("output_dirs", options->dirs, "Output directories of finetune train runs (overlaid in the charts)")
      ->required();
  cmd->add_option("--output", options->output, "HTML file to write (default: the first directory's report.html)");
  cmd->callback([options] { run_report(*options); });
}

}  // namespace ft::cli
