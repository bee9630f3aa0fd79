// write_run_status: valid JSON with every field, nulls for unknowns, atomic replacement (no
// temporary file left behind), and a one-line error naming status.json when it cannot be written.
#include "train/run_status.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "test_support.h"

namespace ft {
namespace {

namespace fs = std::filesystem;

TEST(RunStatus, WritesEveryFieldAsJson) {
  const fs::path dir = test::scratch_dir();
  RunStatus s;
  s.phase = "training";
  s.step = 25;
  s.total_steps = 100;
  s.epoch = 0.5;
  s.eta_seconds = 300;
  s.last_loss = 2.25;
  s.elapsed_seconds = 100;
  s.last_checkpoint = "out/checkpoint-20";
  write_run_status(dir.string(), s);
  const auto j = nlohmann::json::parse(test::read_file(dir / "status.json"));
  EXPECT_EQ(j.at("phase"), "training");
  EXPECT_EQ(j.at("step"), 25);
  EXPECT_EQ(j.at("total_steps"), 100);
  EXPECT_DOUBLE_EQ(j.at("progress").get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j.at("epoch").get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j.at("eta_seconds").get<double>(), 300);
  EXPECT_DOUBLE_EQ(j.at("last_loss").get<double>(), 2.25);
  EXPECT_DOUBLE_EQ(j.at("elapsed_seconds").get<double>(), 100);
  EXPECT_EQ(j.at("last_checkpoint"), "out/checkpoint-20");
  EXPECT_FALSE(j.contains("message"));
  EXPECT_GT(j.at("updated_at").get<double>(), 1.6e9);
}

TEST(RunStatus, UnknownValuesAreNullAndFailuresCarryTheMessage) {
  const fs::path dir = test::scratch_dir();
  RunStatus s;
  s.phase = "failed";
  s.message = "data.jsonl: line 3: not JSON";
  write_run_status(dir.string(), s);
  const auto j = nlohmann::json::parse(test::read_file(dir / "status.json"));
  EXPECT_TRUE(j.at("eta_seconds").is_null());
  EXPECT_TRUE(j.at("last_loss").is_null());
  EXPECT_TRUE(j.at("last_checkpoint").is_null());
  EXPECT_DOUBLE_EQ(j.at("progress").get<double>(), 0.0);
  EXPECT_EQ(j.at("message"), "data.jsonl: line 3: not JSON");
}

TEST(RunStatus, ReplacesThePreviousFileAndLeavesNoTemporary) {
  const fs::path dir = test::scratch_dir();
  RunStatus s;
  s.phase = "training";
  for (int step = 1; step <= 3; ++step) {
    s.step = step;
    write_run_status(dir.string(), s);
  }
  const auto j = nlohmann::json::parse(test::read_file(dir / "status.json"));
  EXPECT_EQ(j.at("step"), 3);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "status.json");
  }
  EXPECT_EQ(files, 1);
}

TEST(RunStatus, MissingDirectoryIsAOneLineErrorNamingTheFile) {
  const fs::path dir = test::scratch_dir() / "does_not_exist";
  RunStatus s;
  s.phase = "starting";
  try {
    write_run_status(dir.string(), s);
    FAIL() << "expected ft::Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find((dir / "status.json").string()), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace ft
