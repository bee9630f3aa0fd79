// Each `finetune` subcommand registers its flags on the app and runs through its callback.
// Callbacks throw ft::Error for anything the user must fix; main() turns that into one line and
// the error's exit code.
#pragma once
#include <CLI/CLI.hpp>

namespace ft::cli {

void add_generate_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_data_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_merge_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_init_command(CLI::App& app);
void add_bench_command(CLI::App& app);

}  // namespace ft::cli
