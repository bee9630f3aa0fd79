// The Hub client against a local fake Hub: cache layout shared with huggingface_hub, tokens sent
// only to the Hub, gated/unknown repositories and revisions, resumed and corrupted transfers,
// offline use, datasets, and concurrent downloads.
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "hub/hub.h"
#include "hub_server/hub_fixture.h"

namespace ft::test {
namespace {
namespace fs = std::filesystem;

using HubDownloadTest = HubFixture;

TEST_F(HubDownloadTest, FillsTheHuggingfaceHubCacheLayout) {
  const fs::path dir = hub::resolve_model(kModel);
  const fs::path repo = cache() / "models--test-org--tiny-llama";
  EXPECT_EQ(dir, repo / "snapshots" / "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(read_file(repo / "refs" / "main"), "0123456789abcdef0123456789abcdef01234567");
  ASSERT_TRUE(fs::is_symlink(dir / "model.safetensors"));
  EXPECT_EQ(fs::read_symlink(dir / "model.safetensors"), fs::path("../../blobs") / weights_sha());
  EXPECT_EQ(read_file(dir / "model.safetensors"), weights());
  EXPECT_TRUE(fs::is_regular_file(dir / "config.json"));
  EXPECT_TRUE(fs::is_regular_file(dir / "tokenizer.json"));
  EXPECT_TRUE(fs::is_regular_file(dir / "generation_config.json"));
  EXPECT_FALSE(fs::exists(dir / "README.md"));          // only what training needs
  EXPECT_FALSE(fs::exists(dir / "pytorch_model.bin"));  // safetensors only
  for (const auto& entry : fs::directory_iterator(repo / "blobs"))
    EXPECT_EQ(entry.path().extension(), "") << entry.path();  // no .incomplete left behind
  EXPECT_TRUE(fs::exists(cache() / ".locks" / "models--test-org--tiny-llama" / (weights_sha() + ".lock")));

  hub_.clear_log();  // a second resolve finds every file: one listing call, no downloads
  EXPECT_EQ(hub::resolve_model(kModel), dir.string());
  EXPECT_EQ(hub_.requests().size(), 1u);
  EXPECT_EQ(count(false, "/api/models/test-org/tiny-llama/revision/main"), 1u);
}

TEST_F(HubDownloadTest, LocalDirectoriesPassThroughAndPathsAreNotSentToTheHub) {
  const std::string local = (fixtures_dir() / "tiny_models" / "llama_gqa_untied").string();
  EXPECT_EQ(hub::resolve_model(local), local);
  EXPECT_NE(error_of([&] { hub::resolve_model("./no/such/dir"); }).find("not a directory"), std::string::npos);
  EXPECT_NE(error_of([&] { hub::resolve_model("/abs/missing"); }).find("not a directory"), std::string::npos);
  const fs::path file = scratch_ / "model.safetensors";  // a local file is not a Hub id either
  write_file(file, "x");
  const fs::path cwd = fs::current_path();
  fs::current_path(scratch_);
  EXPECT_NE(error_of([] { hub::resolve_model("model.safetensors"); }).find("not a directory"), std::string::npos);
  fs::current_path(cwd);
  EXPECT_TRUE(hub_.requests().empty());
}

TEST_F(HubDownloadTest, TokenGoesOnlyToTheHubNeverToTheCdn) {
  ::setenv("HF_TOKEN", hub_.token.c_str(), 1);
  hub::resolve_model(kGated, {.revision = "main", .show_progress = false});
  ASSERT_EQ(count(true, "/blobs/"), 1u);
  for (const auto& r : hub_.requests())
    EXPECT_EQ(r.authorization, r.to_cdn ? "" : "Bearer " + hub_.token) << r.path;
}

TEST_F(HubDownloadTest, TokenFromHfHomeFile) {
  write_file(scratch_ / "hf_home" / "token", hub_.token + "\n");
  EXPECT_NO_THROW(hub::resolve_model(kGated));
}

TEST_F(HubDownloadTest, GatedWithoutOrWithWrongTokenSaysHowToGetAccess) {
  const std::string expected = "gated or private: accept its licence on the Hub and provide a token "
                               "(HF_TOKEN or $HF_HOME/token)";
  EXPECT_NE(error_of([] { hub::resolve_model(kGated); }).find(expected), std::string::npos);
  ::setenv("HF_TOKEN", "hf_wrong", 1);
  const std::string message = error_of([] { hub::resolve_model(kGated); });
  EXPECT_NE(message.find(expected), std::string::npos);
  EXPECT_EQ(message.find("hf_wrong"), std::string::npos);  // the token is never printed
}

TEST_F(HubDownloadTest, UnknownRevisionOrRepository) {
  EXPECT_NE(error_of([] { hub::resolve_model(kModel, {.revision = "nope"}); }).find("revision 'nope' does not exist"),
            std::string::npos);
  EXPECT_NE(error_of([] { hub::resolve_model("test-org/missing"); }).find("does not exist"), std::string::npos);
  EXPECT_FALSE(fs::exists(cache() / "models--test-org--tiny-llama" / "refs" / "nope"));
}

TEST_F(HubDownloadTest, NamedRevisionGetsItsOwnRef) {
  const fs::path dir = hub::resolve_model(kModel, {.revision = "v1"});
  EXPECT_EQ(read_file(cache() / "models--test-org--tiny-llama" / "refs" / "v1"), dir.filename().string());
}

TEST_F(HubDownloadTest, DroppedConnectionResumesWithRange) {
  hub_.drop_once(weights_sha(), 50000);
  const fs::path dir = hub::resolve_model(kModel);
  EXPECT_EQ(read_file(dir / "model.safetensors"), weights());
  ASSERT_EQ(count(true, "/blobs/" + weights_sha()), 2u);
  bool resumed = false;
  for (const auto& r : hub_.requests()) resumed = resumed || (r.to_cdn && r.range == "bytes=50000-");
  EXPECT_TRUE(resumed);
}

TEST_F(HubDownloadTest, IncompleteFileFromAnEarlierRunIsResumed) {
  const fs::path blobs = cache() / "models--test-org--tiny-llama" / "blobs";
  write_file(blobs / (weights_sha() + ".incomplete"), weights().substr(0, 1000));
  const fs::path dir = hub::resolve_model(kModel);
  EXPECT_EQ(read_file(dir / "model.safetensors"), weights());
  EXPECT_EQ(count(true, "/blobs/"), 1u);
  for (const auto& r : hub_.requests()) {
    if (r.to_cdn) {
      EXPECT_EQ(r.range, "bytes=1000-");
    }
  }
}

TEST_F(HubDownloadTest, CorruptedBlobIsRejected) {
  hub_.corrupt(weights_sha());
  const std::string message = error_of([] { hub::resolve_model(kModel); });
  EXPECT_NE(message.find("sha256"), std::string::npos) << message;
  const fs::path blobs = cache() / "models--test-org--tiny-llama" / "blobs";
  EXPECT_FALSE(fs::exists(blobs / weights_sha()));
  EXPECT_FALSE(fs::exists(blobs / (weights_sha() + ".incomplete")));
  EXPECT_FALSE(fs::exists(cache() / "models--test-org--tiny-llama" / "refs" / "main"));
}

TEST_F(HubDownloadTest, OfflineUsesACompleteCacheWithoutRequests) {
  const std::string dir = hub::resolve_model(kModel);
  hub_.clear_log();
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  EXPECT_EQ(hub::resolve_model(kModel), dir);
  EXPECT_TRUE(hub_.requests().empty());
}

TEST_F(HubDownloadTest, OfflineWithoutTheFilesNamesWhatIsMissing) {
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  const std::string message = error_of([] { hub::resolve_model(kModel); });
  EXPECT_NE(message.find("HF_HUB_OFFLINE=1"), std::string::npos) << message;
  EXPECT_NE(message.find("no snapshot of revision 'main'"), std::string::npos) << message;
  ::unsetenv("HF_HUB_OFFLINE");
  const fs::path dir = hub::resolve_model(kModel);
  fs::remove(dir / "model.safetensors");
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  const std::string incomplete = error_of([] { hub::resolve_model(kModel); });
  EXPECT_NE(incomplete.find("no safetensors weights"), std::string::npos) << incomplete;
  EXPECT_NE(incomplete.find("offline: the cached snapshot"), std::string::npos) << incomplete;
}

TEST_F(HubDownloadTest, UnreachableHubFallsBackToTheCache) {
  const std::string dir = hub::resolve_model(kModel);
  ::setenv("HF_ENDPOINT", "http://127.0.0.1:1", 1);  // nothing listens on port 1
  EXPECT_EQ(hub::resolve_model(kModel, {.revision = "main", .show_progress = false}), dir);
  EXPECT_NE(error_of([] { hub::resolve_model(kGated); }).find("cannot reach the Hub"), std::string::npos);
  // A network failure may pass: exit 200 (retryable) lets a Kubernetes job restart the pod; it
  // was 1, which the chart's ExitCode policy treats as permanent.
  try {
    hub::resolve_model(kGated);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitRetryable) << e.what();
  }
  // A bare word is as likely a mistyped local directory: the message said only "cannot reach the Hub".
  EXPECT_EQ(error_of([] { hub::resolve_model("mymodel"); })
                .rfind("mymodel (no local directory of that name): cannot reach the Hub at http://127.0.0.1:1", 0),
            0u);
}

TEST_F(HubDownloadTest, DatasetFileByName) {
  const fs::path file = hub::resolve_dataset_file(kDataset, "train");
  EXPECT_EQ(file.filename(), "alpaca_small.json");
  EXPECT_EQ(read_file(file), read_file(fixtures_dir() / "data" / "alpaca_small.json"));
  EXPECT_TRUE(fs::is_symlink(file));
  EXPECT_TRUE(file.string().find("datasets--test-org--alpaca-tiny") != std::string::npos);
  EXPECT_EQ(count(false, "/api/datasets/test-org/alpaca-tiny/revision/main"), 1u);
  EXPECT_EQ(count(false, "/datasets/test-org/alpaca-tiny/resolve/"), 1u);
}

TEST_F(HubDownloadTest, DatasetSplitChoosesAmongSeveralFiles) {
  FakeRepo repo;
  repo.dataset = true;
  repo.id = "test-org/two-splits";
  repo.files = {{"data/train.jsonl", "{\"text\": \"a\"}\n"}, {"data/test.jsonl", "{\"text\": \"b\"}\n"}};
  hub_.add(repo);
  EXPECT_EQ(read_file(hub::resolve_dataset_file(repo.id, "test")), "{\"text\": \"b\"}\n");
  const std::string message = error_of([&] { hub::resolve_dataset_file(repo.id, ""); });
  EXPECT_NE(message.find("data/test.jsonl, data/train.jsonl"), std::string::npos) << message;
  EXPECT_NE(message.find("--dataset_split"), std::string::npos);
}

TEST_F(HubDownloadTest, ListedFilesOutsideTheRepositoryAreRefused) {
  FakeRepo repo;
  repo.dataset = true;
  repo.id = "test-org/evil";
  repo.files = {{"../../../escape.json", "[]"}};
  hub_.add(repo);
  EXPECT_NE(error_of([&] { hub::resolve_dataset_file(repo.id, ""); }).find("outside the repository"),
            std::string::npos);
  EXPECT_EQ(count(false, "/resolve/"), 0u);
}

TEST_F(HubDownloadTest, ConcurrentResolversDownloadEachBlobOnce) {
  std::vector<std::string> dirs(3);
  std::vector<std::thread> threads;
  for (auto& dir : dirs) threads.emplace_back([&dir] { dir = hub::resolve_model(kModel, {.show_progress = false}); });
  for (auto& t : threads) t.join();
  for (const auto& dir : dirs) EXPECT_EQ(read_file(fs::path(dir) / "model.safetensors"), weights());
  EXPECT_EQ(count(true, "/blobs/" + weights_sha()), 1u);
}

}  // namespace
}  // namespace ft::test
