#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/config_file.h"
#include "cli/flag_values.h"
#include "core/error.h"
#include "core/stop_signals.h"

int main(int argc, char** argv) {
  ft::take_stop_signals_on_own_thread();
  CLI::App app{"finetune: fine-tune Hugging Face causal language models on Xeon CPUs", "finetune"};
  app.set_version_flag("--version", "finetune.cpp 0.1.0");
  app.require_subcommand(1);
  // The order `finetune --help` lists them: the workflow's order, then the tools around it.
  ft::cli::add_train_command(app);
  ft::cli::add_eval_command(app);
  ft::cli::add_generate_command(app);
  ft::cli::add_merge_command(app);
  ft::cli::add_report_command(app);
  ft::cli::add_inspect_command(app);
  ft::cli::add_data_command(app);
  ft::cli::add_init_command(app);
  ft::cli::add_bench_command(app);
  try {
    if (argc > 1) ft::cli::reject_unknown_command(app, argv[1]);
    std::vector<std::string> args = ft::cli::expand_config_file({argv + 1, argv + argc});
    std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last-first
    app.parse(args);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    // One line, like every other usage error; CLI11's own codes (105, 106, ...) would read as
    // retryable to Kubernetes, so bad flags are exit 1.
    const std::string help = argc > 1 && argv[1][0] != '-' ? std::string("finetune ") + argv[1] + " --help" : "finetune --help";
    std::fprintf(stderr, "error: %s; see %s\n", e.what(), help.c_str());
    return ft::kExitUsage;
  } catch (const ft::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    const std::string command = argc > 1 ? argv[1] : "";
    const bool trains = command == "train" || command == "bench";
    std::fprintf(stderr, "error: out of memory: this machine or container cannot hold what was asked%s\n",
                 trains ? "; `finetune inspect --train <the train flags>` prints a run's planned peak (lower "
                          "--per_device_train_batch_size or --max_seq_length, or pass --gradient_checkpointing true)"
                        : "; give the process more memory");
    return ft::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return ft::kExitUsage;
  }
  return 0;
}
