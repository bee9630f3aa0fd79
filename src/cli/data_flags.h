// The data-pipeline flags (reference finetune.py names) registered in one place, so `finetune
// train` and `finetune data preview` share them. Register, parse, then resolve() into DataOptions.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "data/data_options.h"

namespace ft::cli {

struct DataFlags {
  data::DataOptions options;  // filled directly by most flags
  std::string packing;        // "" = document unless --dataset_concatenation true
  std::string dataset_concatenation;  // "" = not given; else true/false as the reference accepts
  std::string output_dir;  // only consulted for the default cache directory

  // Combines --packing and --dataset_concatenation and picks the cache directory; throws
  // ft::Error (exit 1) naming the flags when they disagree.
  data::DataOptions resolve() const;
};

// `with_output_dir` = false when the caller registers --output_dir itself (train does) and will
// copy it into flags.output_dir before resolve().
void add_data_flags(CLI::App& app, DataFlags& flags, bool with_output_dir);

}  // namespace ft::cli
