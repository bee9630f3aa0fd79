#include "cli/data_flags.h"

#include "cli/flag_values.h"
#include "core/error.h"

namespace ft::cli {

void add_data_flags(CLI::App& app, DataFlags& f, bool with_output_dir) {
  data::DataOptions& o = f.options;
  const std::string group = "Data";
  const auto opt = [&](const std::string& name, auto& target, const std::string& help) {
    add_option_checked(app, name, target, help)->group(group)->capture_default_str();
  };
  opt("--train_file", o.train_file, "training data: .json (array or JSON Lines), .jsonl or .csv");
  opt("--validation_file", o.validation_file, "validation data; replaces the split of --train_file");
  opt("--instruction_column_name", o.columns.instruction, "column holding the instruction");
  opt("--input_column_name", o.columns.input, "column holding the optional input/context");
  opt("--output_column_name", o.columns.output, "column holding the response");
  opt("--prompt_format", o.prompt_format,
      "alpaca | llama2-chat | chat-template | text (default: from the records and model name)");
  opt("--prompt_with_input", o.system_prompts.with_input, "system text for records with an input");
  opt("--prompt_without_input", o.system_prompts.without_input, "system text for records without one");
  opt("--system_prompt", o.system_prompt, "system message for --prompt_format chat-template");
  opt("--max_seq_length", o.max_seq_length, "tokens per sequence; longer records are truncated");
  opt("--train_on_inputs", o.train_on_inputs, "also train on prompt tokens (true/false)");
  opt("--packing", f.packing,
      "document (whole examples per block, attention kept per example; default) | concat | none");
  opt("--dataset_concatenation", f.dataset_concatenation,
      "true = --packing concat (the reference's concatenate-and-cut); false keeps --packing");
  opt("--validation_split_percentage", o.validation_split_percentage,
      "share held out for validation: a fraction (0.2) or a percentage (20)");
  opt("--dataset_seed", o.dataset_seed, "seed for the validation split and epoch shuffles");
  opt("--max_train_samples", o.max_train_samples, "keep only the first N training records (-1 = all)");
  opt("--max_eval_samples", o.max_eval_samples, "keep only the first N validation records (-1 = all)");
  opt("--group_by_length", o.group_by_length, "batch sequences of similar length together");
  opt("--cache_dir", o.cache_dir,
      "tokenized-data cache (default $FINETUNE_CACHE, else <output_dir>/.cache)");
  if (with_output_dir) opt("--output_dir", f.output_dir, "output directory (holds .cache)");
}


// --dataset_concatenation false keeps document packing: with per-example attention and positions
// it gives each example the same loss as an unpacked batch, with far fewer padding tokens.
data::DataOptions DataFlags::resolve() const {
  data::DataOptions o = options;
  const bool concat_given = !dataset_concatenation.empty();
  const bool concat = concat_given && parse_bool_flag("--dataset_concatenation", dataset_concatenation);
  if (!packing.empty()) {
    o.packing = data::parse_packing_mode(packing);
    if (concat && o.packing != data::PackingMode::kConcat)
      fail_usage("--packing " + packing +
                 " contradicts --dataset_concatenation true; give only one of them");
  } else if (concat) {
    o.packing = data::PackingMode::kConcat;
  }
  if (o.cache_dir.empty()) o.cache_dir = data::default_cache_dir(output_dir);
  return o;
}

}  // namespace ft::cli
