// The test helpers' own contract: scratch directories are fresh per call and do not outlive a
// passing test (a full suite used to leave ~50 GB of checkpoints and models in /tmp).
#include <cstdlib>
#include <filesystem>

#include "test_support.h"

namespace fs = std::filesystem;

// Also run as a child by the tests below; FT_TEST_FAIL_ON_PURPOSE makes it fail there.
TEST(TestSupport, ScratchDirIsFreshPerCall) {
  const auto dir = ft::test::scratch_dir();
  ASSERT_TRUE(fs::is_directory(dir));
  ft::test::write_file(dir / "sub" / "file", "x");
  EXPECT_EQ(ft::test::scratch_dir(), dir);
  EXPECT_TRUE(fs::is_empty(dir));
  ft::test::write_file(dir / "left_behind", "x");
  if (std::getenv("FT_TEST_FAIL_ON_PURPOSE")) FAIL() << "failing on purpose";
}

// A suite's set-up takes a scratch directory of its own (named after the suite).
struct TestSupportSuiteScratch : ::testing::Test {
  static void SetUpTestSuite() { ft::test::write_file(ft::test::scratch_dir() / "shared_by_the_suite", "x"); }
};

TEST_F(TestSupportSuiteScratch, SeesTheSuitesDirectory) {
  EXPECT_TRUE(fs::exists(ft::test::scratch_dir().parent_path() / "TestSupportSuiteScratch" / "shared_by_the_suite"));
}

namespace {

// Runs ScratchDirIsFreshPerCall and the suite above in a child test process whose temp dir is `tmp`.
int run_child(const fs::path& tmp, const fs::path& log, const std::string& env) {
  fs::create_directories(tmp);
  const pid_t pid = ft::test::spawn_program("/proc/" + std::to_string(getpid()) +
                                                "/exe --gtest_filter=TestSupport.ScratchDirIsFreshPerCall:TestSupportSuiteScratch.*",
                                            log, "TMPDIR=" + tmp.string() + " " + env);
  return ft::test::wait_exit_code(pid);
}

}  // namespace

TEST(TestSupport, APassingTestLeavesNoScratchBehind) {
  const auto dir = ft::test::scratch_dir();
  ASSERT_EQ(run_child(dir / "tmp", dir / "log", ""), 0) << ft::test::read_file(dir / "log");
  EXPECT_TRUE(fs::is_empty(dir / "tmp")) << fs::directory_iterator(dir / "tmp")->path();
}

TEST(TestSupport, AFailedTestKeepsItsScratchAndSaysWhere) {
  const auto dir = ft::test::scratch_dir();
  ASSERT_NE(run_child(dir / "tmp", dir / "log", "FT_TEST_FAIL_ON_PURPOSE=1"), 0);
  const std::string log = ft::test::read_file(dir / "log");
  EXPECT_NE(log.find("scratch directory kept for inspection: " + (dir / "tmp").string()), std::string::npos) << log;
  bool kept = false;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "tmp"))
    kept = kept || entry.path().filename() == "left_behind";
  EXPECT_TRUE(kept);
}
