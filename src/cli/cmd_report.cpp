// `finetune report OUTPUT_DIR [OTHER_OUTPUT_DIR...] [--output FILE]`: one self-contained HTML page
// (inline SVG charts, no network) comparing the runs; FILE defaults to OUTPUT_DIR/report.html.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/report_data.h"
#include "cli/report_html.h"
#include "core/error.h"
#include "formats/atomic_file.h"

namespace ft::cli {
namespace {

bool is_html_report(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char head[16] = {};
  const size_t n = std::fread(head, 1, sizeof head - 1, f);
  std::fclose(f);
  return std::string_view(head, n).starts_with("<!DOCTYPE html>");
}

struct ReportOptions {
  std::vector<std::string> dirs;
  std::string output;
};

void run_report(const ReportOptions& options) {
  const std::vector<RunData> runs = load_runs(options.dirs);
  const std::string output =
      options.output.empty() ? (std::filesystem::path(options.dirs.front()) / "report.html").string() : options.output;
  // Only an earlier report is replaced: --output naming a model file or the run's own logs
  // silently destroyed them.
  if (std::filesystem::exists(output) && !is_html_report(output))
    fail_usage("--output " + output + " exists and is not an HTML report; name a new file (e.g. report.html)");
  const std::string html = render_report(runs);
  try {
    write_file_atomic(output, html);
  } catch (const std::exception& e) {
    fail_usage(std::string("--output: ") + e.what());  // the message names the file
  }
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
