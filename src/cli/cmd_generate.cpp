// PLACEHOLDER until the owner of `finetune generate` lands it.
#include "cli/commands.h"

namespace ft::cli {
void add_generate_command(CLI::App&) {}
}  // namespace ft::cli
