// Config files for `finetune train` / `finetune eval`, as Transformers' HfArgumentParser reads them:
// `finetune train run.yaml` or `--config run.json` (JSON or YAML, a mapping of flag names without
// dashes to values). Flags on the command line override the file. The file's entries become
// ordinary flags before parsing, so they are validated exactly like typed ones.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace ft::cli {

// args = argv[1..]. Returns them with the config file (if any) replaced by its flags, placed right
// after the subcommand. Unreadable files, bad syntax and nested mappings are ft::Error naming the
// file (and the key).
std::vector<std::string> expand_config_file(std::vector<std::string> args);

// The config file a flag came from ("" when it was typed), for error messages.
std::string config_origin(std::string_view flag);

}  // namespace ft::cli
