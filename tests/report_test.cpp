// `finetune report`: reading output directories (later lines win for repeated steps, one-line
// errors naming file and line), the HTML page (balanced SVG, one polyline per run and curve with
// one point per step, escaping, highlighted differing flags), the CLI, and — when ctest's
// report_chromium sets FT_REPORT_SCREENSHOT=1 — a headless Chromium screenshot of the page.
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include "cli/report_data.h"
#include "cli/report_html.h"
#include "cli/report_svg.h"
#include "core/error.h"
#include "test_support.h"

namespace ft::cli {
namespace {

namespace fs = std::filesystem;

struct FakeRun {
  int steps = 40;
  int eval_every = 10;
  double loss_offset = 0;  // separates the runs' curves
  double peak_lr = 2e-4;
};

// Writes what `finetune train` leaves in an output directory: metrics.jsonl (train lines every
// step, eval lines every eval_every steps, a summary), run_config.json and all_results.json.
void write_fake_run(const fs::path& dir, const FakeRun& run) {
  std::string metrics;
  for (int s = 1; s <= run.steps; ++s) {
    const double epoch = s / static_cast<double>(run.steps);
    const double loss = 1.2 + run.loss_offset + 2.0 * std::exp(-s / 12.0) + 0.08 * std::sin(s * 1.7);
    const double lr = s < 5 ? run.peak_lr * s / 5 : run.peak_lr * (run.steps - s) / std::max(1, run.steps - 5);
    char line[512];
    std::snprintf(line, sizeof(line),
                  "{\"type\":\"train\",\"step\":%d,\"epoch\":%.4f,\"loss\":%.5f,\"learning_rate\":%.6g,"
                  "\"grad_norm\":%.4f,\"tokens_per_second\":%.2f,\"peak_rss_bytes\":%lld,"
                  "\"elapsed_seconds\":%.2f,\"time\":%.1f}\n",
                  s, epoch, loss, lr, 0.5 + 1.5 * std::exp(-s / 8.0), 780 + 40 * std::sin(s * 0.9) + 100 * run.loss_offset,
                  static_cast<long long>((900 + 3 * s + 200 * run.loss_offset) * 1048576.0), s * 1.1, 1764480000.0 + s);
    metrics += line;
    if (s % run.eval_every == 0) {
      std::snprintf(line, sizeof(line),
                    "{\"type\":\"eval\",\"step\":%d,\"epoch\":%.4f,\"eval_loss\":%.5f,\"eval_perplexity\":%.4f,"
                    "\"eval_tokens\":5120,\"time\":%.1f}\n",
                    s, epoch, loss + 0.15, std::exp(loss + 0.15), 1764480000.0 + s);
      metrics += line;
    }
  }
  metrics += "{\"type\":\"summary\",\"step\":" + std::to_string(run.steps) +
             ",\"epoch\":1.0,\"train_loss\":1.9,\"train_runtime\":44.0,\"train_tokens_per_second\":800.0,"
             "\"eval_loss\":1.55,\"eval_perplexity\":4.71,\"time\":1764480100.0}\n";
  test::write_file(dir / "metrics.jsonl", metrics);
  test::write_file(dir / "run_config.json",
                   "{\"args\":{\"learning_rate\":" + std::to_string(run.peak_lr) +
                       ",\"num_train_epochs\":1,\"model_name_or_path\":\"tiny <llama>\",\"use_lora\":true},"
                       "\"model\":{\"name_or_path\":\"tiny <llama>\",\"parameters\":6738415616,"
                       "\"trainable_parameters\":4194304,\"dtype\":\"bf16\"},"
                       "\"data\":{\"train_records\":900,\"eval_records\":100,\"train_sequences\":450,"
                       "\"train_tokens\":230400,\"trained_tokens\":230400,\"truncated\":3,\"format\":\"alpaca\"},"
                       "\"world_size\":1,\"cpu\":\"AMD EPYC (avx2, fma)\"}");
  test::write_file(dir / "all_results.json", "{\"epoch\":1.0,\"train_loss\":1.9,\"eval_loss\":1.55}");
}

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// The number of "x,y" pairs in the points attribute of the polyline named `series`; -1 if absent.
int polyline_points(const std::string& html, const std::string& series) {
  const std::regex re("<polyline[^>]*data-series=\"" + series + "\"[^>]*points=\"([^\"]*)\"");
  std::smatch m;
  if (!std::regex_search(html, m, re)) return -1;
  return count(m[1].str(), ",");
}

using test::error_of;

TEST(ReportData, LaterLinesWinForRepeatedStepsAfterAResume) {
  const fs::path dir = test::scratch_dir() / "run";
  write_fake_run(dir, {.steps = 4, .eval_every = 2});
  std::string metrics = test::read_file(dir / "metrics.jsonl");
  metrics += "{\"type\":\"train\",\"step\":3,\"loss\":0.25}\n{\"type\":\"eval\",\"step\":2,\"eval_loss\":0.5}\n";
  test::write_file(dir / "metrics.jsonl", metrics);
  const RunData run = load_run(dir.string());
  EXPECT_EQ(run.label, "run");
  ASSERT_EQ(run.train.size(), 4u);
  EXPECT_EQ(run.train[2].step, 3);
  EXPECT_EQ(run.train[2].get("loss"), 0.25);
  EXPECT_TRUE(std::isnan(run.train[2].get("learning_rate")));
  ASSERT_EQ(run.eval.size(), 2u);
  EXPECT_EQ(run.eval[0].get("eval_loss"), 0.5);
  ASSERT_TRUE(run.summary.has_value());
  EXPECT_EQ(run.summary->get("train_runtime"), 44.0);
  EXPECT_EQ(run.all_results.at("eval_loss"), 1.55);
}

TEST(ReportData, BadInputsAreOneLineErrorsNamingTheFileAndLine) {
  const fs::path dir = test::scratch_dir() / "run";
  write_fake_run(dir, {.steps = 3, .eval_every = 5});
  const std::string good = test::read_file(dir / "metrics.jsonl");
  const auto error_with_metrics = [&](const std::string& extra) {
    test::write_file(dir / "metrics.jsonl", good + extra);
    return error_of([&] { load_run(dir.string()); });
  };
  const std::string where = (dir / "metrics.jsonl").string() + ":5: ";
  EXPECT_EQ(error_with_metrics("{\"type\":\"train\"}}\n").rfind(where + "not valid JSON", 0), 0u);
  EXPECT_EQ(error_with_metrics("{\"step\":4}\n").rfind(where + "expected an object with a string field \"type\"", 0), 0u);
  EXPECT_EQ(error_with_metrics("{\"type\":\"train\",\"step\":\"4\"}\n"),
            where + "field \"step\" must be an integer");
  EXPECT_EQ(error_with_metrics("{\"type\":\"metric\",\"step\":4}\n"),
            where + "unknown record type \"metric\" (expected train, eval or summary)");
  for (const char* extra : {"{\"type\":\"train\"}}\n", "[1]\n"})
    EXPECT_EQ(error_with_metrics(extra).find('\n'), std::string::npos);
  // A last line without its newline is a write in progress (or cut off by a kill): skipped, where
  // it used to make the whole run unreadable.
  test::write_file(dir / "metrics.jsonl", good + "{\"type\":\"train\",\"step\":4,\"lo");
  EXPECT_EQ(load_run(dir.string()).train.size(), 3u);
  // So is one cut short by a killed run, whose resumed run went on below it (report failed there).
  test::write_file(dir / "metrics.jsonl", good + "{\"type\":\"train\",\"step\":4,\"lo\n" +
                                              "{\"type\":\"train\",\"step\":4,\"loss\":1.5}\n");
  EXPECT_EQ(load_run(dir.string()).train.size(), 4u);

  test::write_file(dir / "metrics.jsonl", good);
  test::write_file(dir / "run_config.json", "{\"args\": ");
  EXPECT_EQ(error_of([&] { load_run(dir.string()); }).rfind((dir / "run_config.json").string() + ": not valid JSON", 0), 0u);
  fs::remove(dir / "run_config.json");
  EXPECT_EQ(error_of([&] { load_run(dir.string()); }),
            (dir / "run_config.json").string() + ": cannot read it; is this a finetune output directory?");
  fs::remove(dir / "metrics.jsonl");
  EXPECT_EQ(error_of([&] { load_run(dir.string()); }),
            (dir / "metrics.jsonl").string() + ": cannot read it; is this a finetune output directory?");
  EXPECT_EQ(error_of([&] { load_run((dir / "nope").string()); }),
            (dir / "nope").string() + ": not a directory; pass a finetune output directory");
}

TEST(ReportData, CollidingLabelsFallBackToThePaths) {
  const fs::path root = test::scratch_dir();
  write_fake_run(root / "a" / "out", {.steps = 2});
  write_fake_run(root / "b" / "out", {.steps = 2});
  write_fake_run(root / "c", {.steps = 2});
  const auto runs = load_runs({(root / "a" / "out").string(), (root / "b" / "out").string(), (root / "c/").string()});
  EXPECT_EQ(runs[0].label, (root / "a" / "out").string());
  EXPECT_EQ(runs[1].label, (root / "b" / "out").string());
  EXPECT_EQ(runs[2].label, "c");
}

TEST(ReportSvg, NumbersAndEscaping) {
  EXPECT_EQ(format_number(0.1 + 0.2), "0.3");
  EXPECT_EQ(format_number(1.9e-4), "0.00019");
  EXPECT_EQ(format_number(2e-17), "0");
  EXPECT_EQ(format_number(12345), "1.234e+04");
  EXPECT_EQ(html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
}

TEST(ReportSvg, ChartHasAPolylinePerSeriesAndTicksCoveringTheData) {
  ChartSpec chart{"T", "step", "y", {}};
  chart.series.push_back({"one", "#000", false, false, {{1, 0.5}, {2, 0.75}, {3, 2.5}}});
  chart.series.push_back({"two", "#f00", true, true, {{1, 1}, {3, 1}}});
  chart.series.push_back({"empty", "#0f0", false, false, {}});
  const std::string svg = render_line_chart(chart);
  EXPECT_EQ(polyline_points(svg, "one"), 3);
  EXPECT_EQ(polyline_points(svg, "two"), 2);
  EXPECT_EQ(polyline_points(svg, "empty"), -1);
  EXPECT_EQ(count(svg, "<circle"), 2);
  EXPECT_EQ(count(svg, "stroke-dasharray"), 2);  // the dashed series and its legend entry
  // y ticks 0.5..2.5 in steps of 0.5 cover the data exactly.
  for (const char* tick : {">0.5<", ">1<", ">2.5<"}) EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  EXPECT_NE(render_line_chart({"E", "x", "y", {}}).find("no data recorded"), std::string::npos);
}

TEST(ReportHtml, OverlaysRunsWithOnePointPerStep) {
  const fs::path root = test::scratch_dir();
  write_fake_run(root / "lr2e-4", {.steps = 40, .eval_every = 10});
  write_fake_run(root / "lr1e-4", {.steps = 30, .eval_every = 7, .loss_offset = 0.3, .peak_lr = 1e-4});
  const std::string html = render_report(load_runs({(root / "lr2e-4").string(), (root / "lr1e-4").string()}));
  EXPECT_EQ(count(html, "<svg"), 5);
  EXPECT_EQ(count(html, "</svg>"), 5);
  EXPECT_EQ(count(html, "<table"), count(html, "</table>"));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(count(html, "http"), 5);  // only the SVG namespace, once per chart: nothing to fetch
  EXPECT_EQ(polyline_points(html, "lr2e-4 train"), 40);
  EXPECT_EQ(polyline_points(html, "lr2e-4 eval"), 4);
  EXPECT_EQ(polyline_points(html, "lr1e-4 train"), 30);
  EXPECT_EQ(polyline_points(html, "lr1e-4 eval"), 4);
  // Learning rate, gradient norm, throughput and memory: one polyline per run each.
  EXPECT_EQ(count(html, "data-series=\"lr2e-4\" stroke"), 4);
  EXPECT_EQ(count(html, "data-series=\"lr1e-4\" stroke"), 4);
  EXPECT_EQ(count(html, "<polyline"), 12);
}

TEST(ReportHtml, TablesEscapeValuesAndHighlightDifferingFlags) {
  const fs::path root = test::scratch_dir();
  write_fake_run(root / "a", {.steps = 5});
  write_fake_run(root / "b", {.steps = 5, .peak_lr = 1e-4});
  const std::string html = render_report(load_runs({(root / "a").string(), (root / "b").string()}));
  EXPECT_EQ(html.find("tiny <llama>"), std::string::npos);
  EXPECT_NE(html.find("tiny &lt;llama&gt;"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"diff\"><td>learning_rate</td>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>num_train_epochs</td>"), std::string::npos);
  EXPECT_NE(html.find("6,738,415,616"), std::string::npos);  // parameters with separators
  EXPECT_NE(html.find("<td class=\"num\">44</td>"), std::string::npos);  // train runtime from the summary
  EXPECT_NE(html.find("AMD EPYC (avx2, fma)"), std::string::npos);
}

TEST(ReportCli, WritesTheDefaultFileAndFailsInOneLine) {
  const fs::path root = test::scratch_dir();
  write_fake_run(root / "run", {.steps = 6});
  auto r = test::run_finetune("report " + (root / "run").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(test::read_file(root / "run" / "report.html").find("<polyline"), std::string::npos);
  r = test::run_finetune("report " + (root / "run").string() + " " + (root / "run").string() + " --output " +
                         (root / "both.html").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(root / "both.html"));
  r = test::run_finetune("report " + (root / "missing").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output, "error: " + (root / "missing").string() + ": not a directory; pass a finetune output directory\n");
  r = test::run_finetune("report " + (root / "run").string() + " --output " + (root / "no" / "x.html").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(count(r.output, "\n"), 1) << r.output;
  // --output replaces an earlier report, never another file (it overwrote model weights and the
  // run's own metrics.jsonl).
  r = test::run_finetune("report " + (root / "run").string() + " --output " + (root / "both.html").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const std::string metrics = test::read_file(root / "run" / "metrics.jsonl");
  r = test::run_finetune("report " + (root / "run").string() + " --output " + (root / "run" / "metrics.jsonl").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("exists and is not an HTML report"), std::string::npos) << r.output;
  EXPECT_EQ(test::read_file(root / "run" / "metrics.jsonl"), metrics);
}

// RGB pixels of a PNG file (libpng's simplified API).
struct Image {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> rgb;
};

Image read_png(const fs::path& path) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  Image img;
  if (!png_image_begin_read_from_file(&png, path.c_str())) return img;
  png.format = PNG_FORMAT_RGB;
  img.rgb.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, img.rgb.data(), 0, nullptr)) return {};
  img.width = png.width;
  img.height = png.height;
  return img;
}

// Pixels within a small distance of `hex` (#rrggbb): antialiasing shifts the stroke edges.
int pixels_near(const Image& img, const std::string& hex) {
  const int r = std::stoi(hex.substr(1, 2), nullptr, 16), g = std::stoi(hex.substr(3, 2), nullptr, 16),
            b = std::stoi(hex.substr(5, 2), nullptr, 16);
  int n = 0;
  for (size_t i = 0; i + 2 < img.rgb.size(); i += 3)
    n += std::abs(img.rgb[i] - r) + std::abs(img.rgb[i + 1] - g) + std::abs(img.rgb[i + 2] - b) < 40;
  return n;
}

TEST(ReportScreenshot, ChromiumDrawsEveryRunsCurves) {
  if (!std::getenv("FT_REPORT_SCREENSHOT"))
    GTEST_SKIP() << "renders with headless Chromium: run `ctest -R report_chromium`";
  const fs::path root = test::scratch_dir();
  write_fake_run(root / "baseline", {.steps = 60, .eval_every = 10});
  write_fake_run(root / "low-lr", {.steps = 60, .eval_every = 10, .loss_offset = 0.3, .peak_lr = 1e-4});
  const fs::path html = root / "report.html";
  const auto r = test::run_finetune("report " + (root / "baseline").string() + " " + (root / "low-lr").string() +
                                    " --output " + html.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path png = fs::path(std::getenv("FT_REPORT_SCREENSHOT_DIR") ? std::getenv("FT_REPORT_SCREENSHOT_DIR")
                                                                         : root.string()) / "report.png";
  const std::string cmd = "chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1400 "
                          "--user-data-dir=" + (root / "chromium-profile").string() + " --screenshot=" +
                          png.string() + " file://" + html.string() + " >" + (root / "chromium.log").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << test::read_file(root / "chromium.log");
  const Image img = read_png(png);
  ASSERT_EQ(img.width, 1280u) << png;
  ASSERT_EQ(img.height, 1400u);
  // The page background is white; the plots must put both runs' colours (kPalette[0], [1]) on it.
  int non_white = 0;
  for (uint8_t v : img.rgb) non_white += v < 235;
  EXPECT_GT(non_white, static_cast<int>(img.rgb.size() / 50)) << "the page looks blank: " << png;
  EXPECT_GT(pixels_near(img, "#1f77b4"), 2000) << "first run's curves missing: " << png;
  EXPECT_GT(pixels_near(img, "#d62728"), 2000) << "second run's curves missing: " << png;
}

}  // namespace
}  // namespace ft::cli
