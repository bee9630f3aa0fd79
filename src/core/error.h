// Errors that reach the user. Each carries a one-line message naming the file, field or flag and
// what to do, plus the process exit code the CLI returns for it.
#pragma once
#include <stdexcept>
#include <string>

namespace ft {

// Exit codes: 1 = bad usage or configuration, 2 = bad input file (model, tokenizer, data).
// Codes >= 128 are reserved for retryable failures (a lost peer, a timeout) in distributed runs:
// Kubeflow's restartPolicy ExitCode restarts pods on 128-255 and treats 1-127 as permanent.
// kExitRetryable is 200, above 128+signal (129-192), so logs tell it apart from a killed process.
enum ExitCode : int { kExitOk = 0, kExitUsage = 1, kExitBadInput = 2, kExitRetryable = 200 };

class Error : public std::runtime_error {
 public:
  Error(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// A malformed or unsupported input file: `file: message`.
[[noreturn]] inline void fail_input(const std::string& file, const std::string& message) {
  throw Error(kExitBadInput, file + ": " + message);
}

[[noreturn]] inline void fail_usage(const std::string& message) { throw Error(kExitUsage, message); }

}  // namespace ft
