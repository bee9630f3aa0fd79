// End to end: the finetune binary resolves a Hub id through the fake Hub (HF_ENDPOINT, scratch
// HF_HOME inherited by the child process).
#include "hub_server/hub_fixture.h"

namespace ft::test {
namespace {

using HubCliTest = HubFixture;

TEST_F(HubCliTest, InspectDownloadsAndDescribesAHubModel) {
  const CommandResult r = run_finetune(std::string("inspect ") + kModel);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("layers 2, hidden 32"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("model.safetensors"), std::string::npos) << r.output;  // progress line (not a tty)
  EXPECT_TRUE(std::filesystem::exists(cache() / "models--test-org--tiny-llama" / "refs" / "main"));
}

TEST_F(HubCliTest, GatedModelExitsWithTheAccessMessage) {
  const CommandResult r = run_finetune(std::string("inspect ") + kGated);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("this model is gated or private"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ft::test
