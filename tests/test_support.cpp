#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace ft::test {

std::filesystem::path shared_dir() { return FT_SHARED_DIR; }
std::filesystem::path fixtures_dir() { return FT_FIXTURES_DIR; }

bool shared_available() { return std::filesystem::exists(shared_dir() / "models" / "stories260k"); }

namespace {

std::filesystem::path process_scratch_root() {
  return std::filesystem::temp_directory_path() / ("finetune_test_" + std::to_string(getpid()));
}

std::filesystem::path scratch_dir_of(const ::testing::TestInfo* info) {
  const auto* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : suite ? suite->name() : "test";
  for (char& c : name)
    if (c == '/') c = '_';
  return process_scratch_root() / name;
}

// A test's scratch directory goes when the test passes (checkpoints and models made a full suite
// leave gigabytes behind, until the disk fills); a failed test's stays, and its path is printed.
class ScratchCleaner : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& info) override {
    const auto dir = scratch_dir_of(&info);
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) return;
    if (info.result()->Failed())
      std::printf("scratch directory kept for inspection: %s\n", dir.c_str());
    else
      std::filesystem::remove_all(dir, ec);
  }
  // Suite set-ups (SetUpTestSuite) take a directory too; all go when the whole program passed.
  void OnTestProgramEnd(const ::testing::UnitTest& unit) override {
    std::error_code ec;
    if (unit.Passed())
      std::filesystem::remove_all(process_scratch_root(), ec);
    else
      std::filesystem::remove(process_scratch_root(), ec);  // only when empty
  }
};

[[maybe_unused]] const bool scratch_cleaner_installed = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new ScratchCleaner);
  return true;
}();

}  // namespace

std::filesystem::path scratch_dir() {
  auto dir = scratch_dir_of(::testing::UnitTest::GetInstance()->current_test_info());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::filesystem::path& p, const std::string& content) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << content;
}

CommandResult run_finetune(const std::string& args) {
  const std::string cmd = std::string(FT_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

pid_t spawn_finetune(const std::string& args, const std::filesystem::path& log, const std::string& env) {
  return spawn_program(std::string(FT_BINARY) + " " + args, log, env);
}

pid_t spawn_program(const std::string& command, const std::filesystem::path& log, const std::string& env) {
  const std::string cmd = "exec " + (env.empty() ? "" : "env " + env + " ") + command + " >" + log.string() + " 2>&1";
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace ft::test
