// Shared test helpers: where ../shared and the committed fixtures are, a skip for tests that need
// ../shared (absent in a user's fresh clone), and scratch directories.
#pragma once
#include <gtest/gtest.h>

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>

namespace ft::test {

std::filesystem::path shared_dir();
std::filesystem::path fixtures_dir();
bool shared_available();
// A fresh empty directory under the system temp dir ($TMPDIR), unique per test; removed when the
// test passes, kept (and its path printed) when it fails.
std::filesystem::path scratch_dir();
std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& content);
// Runs the finetune binary with `args` (shell-quoted by the caller); returns exit code and output.
struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};
CommandResult run_finetune(const std::string& args);
// The message of the ft::Error that `f` throws, or "(no error)".
std::string error_of(const std::function<void()>& f);
// Starts the finetune binary in the background (output to `log`, environment additions `env` as
// "NAME=value ..."); wait_exit_code() reaps it and returns its exit code, or 128 + signal.
pid_t spawn_finetune(const std::string& args, const std::filesystem::path& log, const std::string& env = "");
// The same for any program (a path, then its shell-quoted arguments).
pid_t spawn_program(const std::string& command, const std::filesystem::path& log, const std::string& env = "");
int wait_exit_code(pid_t pid);

}  // namespace ft::test

#define FT_REQUIRE_SHARED()                                                                 \
  do {                                                                                      \
    if (!::ft::test::shared_available())                                                    \
      GTEST_SKIP() << "../shared is missing (a fresh clone): this test needs its model, " \
                      "tokenizers or data; CI always has it";                               \
  } while (0)
