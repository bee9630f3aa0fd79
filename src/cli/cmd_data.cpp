// PLACEHOLDER until the owner of `finetune data` lands it.
#include "cli/commands.h"

namespace ft::cli {
void add_data_command(CLI::App&) {}
}  // namespace ft::cli
