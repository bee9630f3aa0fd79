#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"finetune: fine-tune Hugging Face causal language models on Xeon CPUs"};
  app.set_version_flag("--version", "finetune.cpp 0.1.0");
  app.require_subcommand(1);
  ft::cli::add_generate_command(app);
  ft::cli::add_inspect_command(app);
  ft::cli::add_data_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const ft::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return ft::kExitUsage;
  }
  return 0;
}
