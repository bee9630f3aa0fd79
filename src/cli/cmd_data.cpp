// `finetune data preview`: runs the data pipeline as training would and prints a few formatted
// examples with the loss-masked spans wrapped in ⟦ ⟧, then statistics (records, tokens, lengths,
// truncation, sequences after each packing mode).
#include <algorithm>
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/data_flags.h"
#include "data/dataset.h"
#include "hub/hub.h"
#include "text/tokenizer.h"

namespace ft::cli {

namespace {

struct PreviewArgs {
  DataFlags data;
  std::string model_dir;
  int num_examples = 3;
};

// Decodes runs of masked and trained tokens separately, wrapping masked runs in ⟦ ⟧.
std::string render_masked(const Tokenizer& tok, const data::TokenizedExample& ex) {
  std::string out;
  for (size_t start = 0; start < ex.ids.size();) {
    const bool masked = ex.labels[start] == data::kIgnoreLabel;
    size_t end = start;
    while (end < ex.ids.size() && (ex.labels[end] == data::kIgnoreLabel) == masked) ++end;
    const std::vector<int> run(ex.ids.begin() + std::ptrdiff_t(start), ex.ids.begin() + std::ptrdiff_t(end));
    const std::string text = tok.decode(run, /*skip_special_tokens=*/false);
    out += masked ? "⟦" + text + "⟧" : text;
    start = end;
  }
  return out;
}

void print_histogram(const std::vector<data::TokenizedExample>& examples, int max_len) {
  constexpr int kBuckets = 8;
  const int width = std::max(1, (max_len + kBuckets - 1) / kBuckets);
  std::vector<size_t> counts(kBuckets, 0);
  for (const auto& ex : examples)
    counts[size_t(std::min(kBuckets - 1, std::max(0, int(ex.ids.size()) - 1) / width))]++;
  const size_t most = std::max<size_t>(1, *std::max_element(counts.begin(), counts.end()));
  std::printf("length histogram (tokens per record):\n");
  for (int b = 0; b < kBuckets; ++b) {
    const int lo = b * width + 1, hi = std::min(max_len, (b + 1) * width);
    std::printf("  %5d-%-5d %7zu %s\n", lo, hi, counts[size_t(b)],
                std::string(counts[size_t(b)] * 40 / most, '#').c_str());
  }
}

void print_split(const char* name, const data::SplitStats& s) {
  std::printf("%s: %zu records, %zu tokens (%zu trained), %zu truncated, %zu without trained tokens, "
              "%zu sequences\n",
              name, s.records, s.tokens, s.trained_tokens, s.truncated, s.without_targets, s.sequences);
}

void run_preview(const PreviewArgs& args) {
  const data::DataOptions opt = args.data.resolve();
  const std::string model_dir = hub::resolve_model(args.model_dir);
  const auto tok = Tokenizer::load(model_dir);
  const data::PreparedDataset ds = data::prepare_dataset(opt, {*tok, args.model_dir, model_dir});
  for (const auto& note : ds.notes) std::printf("%s\n", note.c_str());
  const size_t shown = std::min(ds.train_examples.size(), size_t(std::max(0, args.num_examples)));
  for (size_t i = 0; i < shown; ++i)
    std::printf("\n--- example %zu (%zu tokens; ⟦masked⟧ = prompt, not trained on) ---\n%s\n", i + 1,
                ds.train_examples[i].ids.size(), render_masked(*tok, ds.train_examples[i]).c_str());
  std::printf("\nrecords in %s: %zu (%s)\n", opt.train_file.c_str(), ds.file_records, ds.shape.c_str());
  print_split("train", ds.train_stats);
  if (ds.eval_stats.records > 0) print_split("validation", ds.eval_stats);
  print_histogram(ds.train_examples, opt.max_seq_length);
  std::printf("train sequences by packing mode (blocks of %d):", opt.max_seq_length);
  for (const auto mode : {data::PackingMode::kDocument, data::PackingMode::kConcat, data::PackingMode::kNone}) {
    const size_t n = mode == opt.packing ? ds.train.size()
                                         : data::pack_examples(ds.train_examples, mode, opt.max_seq_length).size();
    const double fill = n ? 100.0 * double(ds.train_stats.tokens) / double(n * size_t(opt.max_seq_length)) : 0;
    std::printf(" %s %zu (%.1f%% full)%s", data::packing_mode_name(mode), n, std::min(fill, 100.0),
                mode == opt.packing ? " [selected]" : "");
  }
  std::printf("\n");
}

}  // namespace

void add_data_command(CLI::App& app) {
  auto* data_cmd = app.add_subcommand("data", "Inspect how a dataset is formatted and tokenized");
  data_cmd->require_subcommand(1);
  auto* preview = data_cmd->add_subcommand(
      "preview", "Print formatted examples with masked spans marked, and dataset statistics");
  auto args = std::make_shared<PreviewArgs>();
  preview->add_option("--model_name_or_path", args->model_dir, "model directory or Hub id (its tokenizer)")
      ->required();
  preview->add_option("--num_examples", args->num_examples, "examples to print")->capture_default_str();
  add_data_flags(*preview, args->data, /*with_output_dir=*/true);
  preview->callback([args] { run_preview(*args); });
}

}  // namespace ft::cli
