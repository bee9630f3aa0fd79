#include "data/dataset.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "core/fnv1a.h"
#include "core/sha256.h"
#include "data/raw_records.h"
#include "data/split.h"
#include "data/token_cache.h"

namespace ft::data {

std::string default_cache_dir(const std::string& output_dir) {
  if (const char* env = std::getenv("FINETUNE_CACHE"); env && *env) return env;
  if (output_dir.empty()) return "";
  return (std::filesystem::path(output_dir) / ".cache").string();
}

namespace {

PromptFormat resolve_format(const DataOptions& opt, const Records& recs, const DataContext& ctx,
                            const std::string& file) {
  if (opt.prompt_format.empty()) {
    switch (recs.shape) {
      case RecordShape::kChat: return PromptFormat::kChatTemplate;
      case RecordShape::kText: return PromptFormat::kText;
      case RecordShape::kInstruction: return default_instruction_format(ctx.model_name_or_path);
    }
  }
  const PromptFormat f = parse_prompt_format(opt.prompt_format);
  const bool fits = recs.shape == RecordShape::kInstruction
                        ? f != PromptFormat::kText
                        : recs.shape == RecordShape::kChat ? f == PromptFormat::kChatTemplate
                                                           : f == PromptFormat::kText;
  if (!fits)
    fail_input(file, std::string("--prompt_format ") + prompt_format_name(f) +
                         " does not apply to " + recs.description + "; use " +
                         (recs.shape == RecordShape::kChat   ? "chat-template"
                          : recs.shape == RecordShape::kText ? "text"
                                                             : "alpaca, llama2-chat or chat-template"));
  return f;
}

ChatTemplateSource chat_source(const DataContext& ctx) {
  const Tokenizer& tok = ctx.tokenizer;
  const std::string where = ctx.tokenizer_dir.empty() ? "tokenizer" : ctx.tokenizer_dir;
  if (!tok.chat_template)
    fail_input(where, "the tokenizer has no chat_template; use --prompt_format alpaca or "
                      "llama2-chat, or a model whose tokenizer_config.json has one");
  ChatTemplateSource s;
  s.source = *tok.chat_template;
  if (tok.bos_id) s.bos_token = tok.id_to_token(*tok.bos_id);
  if (tok.eos_id) s.eos_token = tok.id_to_token(*tok.eos_id);
  s.name_for_errors = (std::filesystem::path(where) / "tokenizer_config.json").string();
  return s;
}

FormattedExample format_record(const Record& r, PromptFormat f, const DataOptions& opt,
                               const ChatTemplateSource* tmpl) {
  switch (f) {
    case PromptFormat::kAlpaca:
    case PromptFormat::kLlama2Chat:
      return format_instruction(f, opt.system_prompts, r.instruction, r.input, r.output);
    case PromptFormat::kChatTemplate:
      return format_chat(*tmpl, r.messages.empty() ? instruction_as_chat(opt.system_prompt,
                                                                         r.instruction, r.input,
                                                                         r.output)
                                                   : r.messages);
    case PromptFormat::kText: break;
  }
  return format_text(r.text);
}

std::string cache_key(const DataOptions& opt, PromptFormat f, const std::string& file,
                      const DataContext& ctx) {
  // v2: a reply that holds EOS gets no second one; v1 caches tokenized ChatML replies with two.
  std::string material = "finetune-tokens-v2\n";
  material += "data " + sha256_file_hex(file) + "\n";
  for (const char* name : {"tokenizer.model", "tokenizer.json", "tokenizer_config.json",
                           "special_tokens_map.json", "generation_config.json"}) {
    const auto p = std::filesystem::path(ctx.tokenizer_dir) / name;
    std::error_code ec;
    if (!ctx.tokenizer_dir.empty() && std::filesystem::is_regular_file(p, ec))
      material += std::string(name) + " " + sha256_file_hex(p.string()) + "\n";
  }
  const auto field = [&](const std::string& s) { material += std::to_string(s.size()) + ":" + s + "\n"; };
  field(prompt_format_name(f));
  field(opt.columns.instruction);
  field(opt.columns.input);
  field(opt.columns.output);
  field(opt.system_prompts.with_input);
  field(opt.system_prompts.without_input);
  field(opt.system_prompt);
  field(std::to_string(opt.max_seq_length) + (opt.train_on_inputs ? " inputs" : " responses"));
  return sha256_hex(material);
}

struct LoadedFile {
  TokenizedRecords tokens;
  std::string shape;
  PromptFormat format = PromptFormat::kAlpaca;
  bool from_cache = false;
};

LoadedFile load_file(const std::string& file, const DataOptions& opt, const DataContext& ctx,
                     std::vector<std::string>& notes) {
  const RawDataset raw = read_raw_dataset(file);
  const Records recs = apply_schema(raw, opt.columns);
  LoadedFile out;
  out.shape = recs.description;
  out.format = resolve_format(opt, recs, ctx, file);
  notes.push_back(file + ": " + std::to_string(recs.items.size()) + " " + out.shape + " read as " +
                  raw.format + ", formatted as " + prompt_format_name(out.format));

  std::string key, path;
  if (!opt.cache_dir.empty()) {
    key = cache_key(opt, out.format, file, ctx);
    path = token_cache_path(opt.cache_dir, key);
    std::string problem;
    if (auto cached = read_token_cache(path, key, problem)) {
      out.tokens = std::move(*cached);
      out.from_cache = true;
      notes.push_back("tokenized records loaded from cache " + path);
      return out;
    }
    if (!problem.empty()) notes.push_back(problem);
  }
  std::optional<ChatTemplateSource> tmpl;
  if (out.format == PromptFormat::kChatTemplate) tmpl = chat_source(ctx);
  out.tokens.examples.reserve(recs.items.size());
  for (size_t i = 0; i < recs.items.size(); ++i) {
    FormattedExample formatted;
    try {
      formatted = format_record(recs.items[i], out.format, opt, tmpl ? &*tmpl : nullptr);
    } catch (const Error& e) {
      // A chat template that fails on one record: say which (apply_schema keeps one per raw record).
      throw Error(e.exit_code(), file + ": " + record_location(i, raw.records[i]) + ": " + e.what());
    }
    TokenizeOutcome t = tokenize_example(formatted, ctx.tokenizer, opt.max_seq_length, opt.train_on_inputs);
    out.tokens.examples.push_back(std::move(t.example));
    out.tokens.truncated.push_back(t.truncated ? 1 : 0);
  }
  if (!path.empty())
    if (const std::string problem = write_token_cache(path, key, out.tokens); !problem.empty())
      notes.push_back("warning: " + problem + "; going on without it (the next run tokenizes again; "
                      "--cache_dir or FINETUNE_CACHE names another directory)");
  return out;
}

std::vector<TokenizedExample> select(TokenizedRecords& t, const std::vector<size_t>& idx,
                                     SplitStats& stats) {
  std::vector<TokenizedExample> out;
  out.reserve(idx.size());
  for (const size_t i : idx) {
    TokenizedExample& ex = t.examples[i];
    stats.records++;
    stats.tokens += ex.ids.size();
    const size_t trained = count_trained(ex);
    stats.trained_tokens += trained;
    stats.truncated += t.truncated[i];
    stats.without_targets += trained == 0;
    out.push_back(ex);
  }
  return out;
}

}  // namespace

PreparedDataset prepare_dataset(const DataOptions& opt, const DataContext& ctx) {
  if (opt.train_file.empty()) fail_usage("--train_file is required: a .json, .jsonl or .csv file");
  if (opt.max_seq_length < 8)
    fail_usage("--max_seq_length " + std::to_string(opt.max_seq_length) + " is too small; use 8 or more");
  PreparedDataset ds;
  LoadedFile train = load_file(opt.train_file, opt, ctx, ds.notes);
  ds.file_records = train.tokens.examples.size();
  ds.shape = train.shape;
  ds.format = train.format;
  ds.from_cache = train.from_cache;

  SplitIndices idx;
  std::optional<LoadedFile> eval;
  if (!opt.validation_file.empty()) {
    eval = load_file(opt.validation_file, opt, ctx, ds.notes);
    idx = split_indices(train.tokens.examples.size(), 0, opt.dataset_seed);
    idx.eval = split_indices(eval->tokens.examples.size(), 0, opt.dataset_seed).train;
    if (opt.validation_split_percentage > 0)
      ds.notes.push_back("--validation_file given: --validation_split_percentage is ignored");
  } else {
    std::string how;
    const double fraction = validation_fraction(opt.validation_split_percentage, how);
    idx = split_indices(train.tokens.examples.size(), fraction, opt.dataset_seed);
    if (fraction > 0)
      ds.notes.push_back(how + ": " + std::to_string(idx.eval.size()) +
                         " validation records, shuffled with --dataset_seed " +
                         std::to_string(opt.dataset_seed));
  }
  limit_samples(idx.train, opt.max_train_samples);
  limit_samples(idx.eval, opt.max_eval_samples);

  ds.train_examples = select(train.tokens, idx.train, ds.train_stats);
  ds.eval_examples = select(eval ? eval->tokens : train.tokens, idx.eval, ds.eval_stats);
  ds.train = pack_examples(ds.train_examples, opt.packing, opt.max_seq_length);
  ds.eval = pack_examples(ds.eval_examples, opt.packing, opt.max_seq_length);
  ds.train_stats.sequences = ds.train.size();
  ds.eval_stats.sequences = ds.eval.size();

  const size_t truncated = ds.train_stats.truncated + ds.eval_stats.truncated;
  if (truncated > 0)
    ds.notes.push_back("warning: " + std::to_string(truncated) +
                       " records are longer than --max_seq_length " +
                       std::to_string(opt.max_seq_length) + " and were truncated");
  const size_t empty = ds.train_stats.without_targets + ds.eval_stats.without_targets;
  if (empty > 0)
    ds.notes.push_back("warning: " + std::to_string(empty) +
                       " records have no trained tokens (the prompt fills --max_seq_length)");
  return ds;
}

std::string empty_split_reason(const DataOptions& opt, const PreparedDataset& ds, bool train,
                               std::string_view which_split) {
  const SplitStats& stats = train ? ds.train_stats : ds.eval_stats;
  const size_t sequences = (train ? ds.train : ds.eval).size();
  if (sequences > 0 && stats.trained_tokens > 0) return "";
  const std::string which(!which_split.empty() ? which_split : train ? "training" : "validation");
  if (stats.records == 0) {
    if ((train ? opt.max_train_samples : opt.max_eval_samples) == 0)
      return std::string(train ? "--max_train_samples" : "--max_eval_samples") + " 0 leaves no " + which +
             " record";
    if (!train) return "no validation data: give --validation_split_percentage 20 or --validation_file FILE";
    char share[32];
    std::snprintf(share, sizeof share, "%g", opt.validation_split_percentage);
    return std::string("--validation_split_percentage ") + share + " holds out all " +
           std::to_string(ds.file_records) + " records; lower it or give --validation_file FILE";
  }
  if (sequences == 0)
    return "no " + which + " sequences remain (" + std::to_string(stats.records) + " records, packing " +
           packing_mode_name(opt.packing) + "); lower --max_seq_length or use --packing document";
  return "no " + which + " record keeps a response token within --max_seq_length " +
         std::to_string(opt.max_seq_length) + "; raise it or shorten the prompts (see finetune data preview)";
}

uint64_t fingerprint(const PreparedDataset& data) {
  uint64_t h = kFnv1aOffset;
  for (const auto* split : {&data.train, &data.eval}) {
    for (const Sequence& s : *split)
      for (const auto* v : {&s.ids, &s.labels, &s.positions, &s.segments}) {
        h = fnv1a(std::as_bytes(std::span(*v)), h);
        const uint64_t size = v->size();  // so [1,2][3] and [1][2,3] differ
        h = fnv1a(std::as_bytes(std::span(&size, 1)), h);
      }
  }
  return h >> 11;  // 53 bits: exact wherever the JSON ends up (doubles in Python tools)
}

}  // namespace ft::data
