// The data pipeline end to end: read the file(s), detect the schema, format prompts, tokenize and
// mask (through the on-disk cache), split, limit, and pack. The result holds the sequences the
// sampler and collator consume, plus statistics and the notes to show the user.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "data/data_options.h"
#include "data/example_tokens.h"
#include "data/packing.h"
#include "text/tokenizer.h"

namespace ft::data {

struct DataContext {
  const Tokenizer& tokenizer;
  std::string model_name_or_path;  // chooses the default prompt format
  std::string tokenizer_dir;       // its tokenizer files are part of the cache key; "" = none
};

struct SplitStats {
  size_t records = 0;
  size_t tokens = 0;
  size_t trained_tokens = 0;
  size_t truncated = 0;        // records cut at max_seq_length
  size_t without_targets = 0;  // records whose labels are all -100 (prompt filled the window)
  size_t sequences = 0;        // after packing
};

struct PreparedDataset {
  std::vector<TokenizedExample> train_examples, eval_examples;  // before packing
  std::vector<Sequence> train, eval;                            // after packing
  SplitStats train_stats, eval_stats;
  size_t file_records = 0;
  std::string shape;          // the detected record shape, described
  PromptFormat format = PromptFormat::kAlpaca;
  bool from_cache = false;
  std::vector<std::string> notes;  // lines for the log: choices made, counted warnings
};

PreparedDataset prepare_dataset(const DataOptions& opt, const DataContext& ctx);

// Why a split (training, or validation) holds no trained token, naming the flag to change: the
// held-out share or a sample limit left it no record, packing left no sequence, or every prompt
// fills --max_seq_length. "" when it holds some. Callers that need the split refuse with it.
// `which` names the split in the message (default "training" or "validation").
std::string empty_split_reason(const DataOptions& opt, const PreparedDataset& ds, bool train,
                               std::string_view which = {});

// A hash of the training sequences (ids, labels, positions, segments) and the validation ones:
// equal fingerprints mean a resumed run sees exactly the data it was checkpointed with.
uint64_t fingerprint(const PreparedDataset& data);

}  // namespace ft::data
