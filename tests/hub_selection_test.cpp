// Which repository files the Hub client fetches, and which names count as Hub ids.
#include "core/error.h"
#include "hub/file_selection.h"
#include "hub/repo_cache.h"
#include "test_support.h"

namespace ft::test {
namespace {

using hub::choose_data_file;
using hub::model_files_to_fetch;
using Files = std::vector<std::string>;

TEST(HubSelectionTest, ModelTakesConfigTokenizerAndSafetensorsOnly) {
  const Files files = {"config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json",
                       "tokenizer.model", "README.md", "tokenizer_config.json", "original/consolidated.00.pth"};
  EXPECT_EQ(model_files_to_fetch("m", files),
            (Files{"config.json", "tokenizer.json", "tokenizer.model", "tokenizer_config.json", "model.safetensors"}));
}

TEST(HubSelectionTest, ShardedModelTakesTheIndexAndSkipsConsolidatedDuplicates) {
  const Files sharded = {"config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                         "model.safetensors.index.json", "consolidated.safetensors"};
  EXPECT_EQ(model_files_to_fetch("m", sharded), (Files{"config.json", "model.safetensors.index.json"}));
  const Files unindexed = {"config.json", "weights.safetensors", "consolidated.safetensors", "sub/x.safetensors"};
  EXPECT_EQ(model_files_to_fetch("m", unindexed), (Files{"config.json", "weights.safetensors"}));
}

TEST(HubSelectionTest, ModelWithoutConfigOrSafetensorsIsRejected) {
  EXPECT_THROW(model_files_to_fetch("m", {"model.safetensors"}), Error);
  try {
    model_files_to_fetch("org/bin-only", {"config.json", "pytorch_model.bin"});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("org/bin-only: has no safetensors weights"), std::string::npos);
  }
}

TEST(HubSelectionTest, ShardsInIndexAreTheDistinctWeightMapFiles) {
  const auto index = scratch_dir() / "model.safetensors.index.json";
  write_file(index, R"({"metadata": {}, "weight_map": {"a": "s-2.safetensors", "b": "s-1.safetensors",
                       "c": "s-2.safetensors"}})");
  EXPECT_EQ(hub::shards_in_index(index), (Files{"s-1.safetensors", "s-2.safetensors"}));
  write_file(index, R"({"weight_map": {"a": "../../etc/passwd"}})");
  EXPECT_THROW(hub::shards_in_index(index), Error);
  write_file(index, "not json");
  EXPECT_THROW(hub::shards_in_index(index), Error);
}

TEST(HubSelectionTest, DataFileIsTheOnlyOneOrTheSplitMatch) {
  EXPECT_EQ(choose_data_file("d", {"README.md", ".gitattributes", "medical_meadow_wikidoc_medical_flashcards.json"},
                             "train"),
            "medical_meadow_wikidoc_medical_flashcards.json");
  const Files several = {"data/train-0000.jsonl", "data/validation.jsonl", "restrain.csv", "dataset_infos.json"};
  EXPECT_EQ(choose_data_file("d", several, "validation"), "data/validation.jsonl");
  EXPECT_EQ(choose_data_file("d", several, "TRAIN"), "data/train-0000.jsonl");  // not restrain.csv
  EXPECT_THROW(choose_data_file("d", several, ""), Error);
  EXPECT_THROW(choose_data_file("d", several, "test"), Error);
  EXPECT_THROW(choose_data_file("d", {"data.parquet"}, ""), Error);
}

TEST(HubSelectionTest, RepoIdsAndCommitHashes) {
  for (const char* id : {"gpt2", "meta-llama/Llama-2-7b-hf", "medalpaca/medical_meadow_medical_flashcards", "a.b/c_d"})
    EXPECT_TRUE(hub::looks_like_repo_id(id)) << id;
  for (const char* id : {"", "a/b/c", "org--x/y", "a/../b", "has space/x", "-x/y", "x/"})
    EXPECT_FALSE(hub::looks_like_repo_id(id)) << id;
  EXPECT_TRUE(hub::is_commit_hash("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_FALSE(hub::is_commit_hash("main"));
  EXPECT_FALSE(hub::is_commit_hash("0123456789ABCDEF0123456789abcdef01234567"));
}

TEST(HubSelectionTest, CacheFolderNamesFollowHuggingfaceHub) {
  const hub::RepoCache model("/c", hub::RepoType::kModel, "org/name");
  EXPECT_EQ(model.repo_dir(), "/c/models--org--name");
  EXPECT_EQ(model.lock_path("e"), "/c/.locks/models--org--name/e.lock");
  EXPECT_EQ(hub::RepoCache("/c", hub::RepoType::kDataset, "solo").blob_path("e"), "/c/datasets--solo/blobs/e");
}

}  // namespace
}  // namespace ft::test
