// Writes what tools/check_peft_outputs.py checks with the real peft/transformers (tests/peft.cmake
// runs this test as the fixture setup, then the script): an adapter with random non-zero A and B
// for tests/fixtures/tiny_models/llama_gqa_untied, the merged model (sharded, so transformers'
// index reading is covered too) and finetune.cpp's logits for both; and, under trained/, what a
// real `finetune train` run writes (base model, output directory with its adapter, and the
// `finetune merge` of it), so the files users get are the ones checked. The directory is
// $FT_PEFT_CHECK_DIR, or a scratch directory when run as a plain unit test.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "formats/safetensors.h"
#include "lora_test_support.h"
#include "model/hf_writer.h"
#include "model/merge.h"
#include "model/peft_adapter.h"
#include "test_support.h"
#include "train_test_support.h"

namespace ft {
namespace {

namespace fs = std::filesystem;

std::span<const std::byte> bytes_of(const std::vector<float>& v) {
  return {reinterpret_cast<const std::byte*>(v.data()), v.size() * sizeof(float)};
}

fs::path check_dir() {
  const char* env = std::getenv("FT_PEFT_CHECK_DIR");
  return env && *env ? fs::path(env) : test::scratch_dir();
}

TEST(PeftCheckOutputs, WritesAdapterMergedModelAndLogits) {
  const fs::path dir = check_dir();
  fs::remove_all(dir / "adapter");
  fs::remove_all(dir / "merged");
  const std::string base = (test::fixtures_dir() / "tiny_models" / "llama_gqa_untied").string();
  constexpr int64_t B = 2, T = 12;

  {
    Model model = Model::load(base);
    LoraWeights lora(model.config(), {.rank = 4, .alpha = 8.0, .targets = parse_lora_targets("all-linear")});
    test::randomise_lora(lora, 31, 0.3f);
    save_peft_adapter((dir / "adapter").string(), lora, base);
  }
  Model model = Model::load(base);
  const auto lora = load_peft_adapter((dir / "adapter").string(), model.config());
  const auto ids = test::token_ids(B * T, model.config().vocab_size, 8);
  model.attach_lora(lora.get());
  const auto adapter_logits = test::logits_of(model, ids, B, T);
  model.attach_lora(nullptr);
  merge_lora(model, *lora);
  save_hf_model((dir / "merged").string(), model, base, DType::F32, /*max_shard_bytes=*/40'000);
  Model merged = Model::load((dir / "merged").string());
  const auto merged_logits = test::logits_of(merged, ids, B, T);
  EXPECT_LT(test::max_abs_diff(adapter_logits, merged_logits), 1e-5);

  const std::vector<float> id_values(ids.begin(), ids.end());  // small ints are exact in fp32
  const int64_t V = model.config().vocab_size;
  write_safetensors((dir / "finetune_logits.safetensors").string(),
                    {{"input_ids", DType::F32, {B, T}, bytes_of(id_values)},
                     {"adapter_logits", DType::F32, {B, T, V}, bytes_of(adapter_logits)},
                     {"merged_logits", DType::F32, {B, T, V}, bytes_of(merged_logits)}});
  EXPECT_TRUE(fs::exists(dir / "merged" / "model.safetensors.index.json"));
}

TEST(PeftCheckOutputs, WritesATrainedAdapterAndItsMerge) {
  const fs::path dir = check_dir() / "trained";
  fs::remove_all(dir);
  const fs::path base = test::make_tiny_model_dir(dir / "base");
  const std::string data = (test::fixtures_dir() / "data" / "alpaca_small.json").string();
  const auto train = test::run_finetune(
      "train --model_name_or_path " + base.string() + " --train_file " + data + " --output_dir " +
      (dir / "output").string() + " --do_train --max_steps 3 --per_device_train_batch_size 2"
      " --learning_rate 5e-2 --max_seq_length 256 --report_to none --lora_rank 4 --lora_alpha 8"
      " --lora_target_modules all-linear --use_rslora True");
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const auto merge = test::run_finetune("merge --model_name_or_path " + base.string() + " --adapter " +
                                        (dir / "output").string() + " --output_dir " +
                                        (dir / "merged").string());
  ASSERT_EQ(merge.exit_code, 0) << merge.output;
  EXPECT_TRUE(fs::exists(dir / "output" / "adapter_model.safetensors"));
  EXPECT_TRUE(fs::exists(dir / "merged" / "config.json"));
}

}  // namespace
}  // namespace ft
