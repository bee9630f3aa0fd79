// `finetune init` and init_weights: transformers' initialisation, reproducible from the seed.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "formats/safetensors.h"
#include "model/model.h"
#include "model/weights_init.h"
#include "test_support.h"
#include "train_test_support.h"

namespace {
namespace fs = std::filesystem;

TEST(ModelInit, MatricesAreNormalWithTheConfiguredSpreadAndNormsAreOne) {
  const ft::ModelConfig c = ft::parse_model_config(ft::test::tiny_config_json(), "tiny/config.json");
  ft::ModelWeights w = ft::allocate_weights(c, ft::DType::F32);
  ft::init_weights(w, c, 0.05, 3);
  for (const auto& spec : ft::weight_specs(c)) {
    int64_t n = 1;
    for (int64_t d : spec.shape) n *= d;
    const auto* p = static_cast<const float*>(ft::weight_pointer(w, c, spec));
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i) sum += p[i], sq += double(p[i]) * p[i];
    if (spec.is_vector) {
      EXPECT_EQ(sum, spec.name.find("norm") != std::string::npos ? double(n) : 0.0) << spec.name;
      continue;
    }
    const double mean = sum / double(n), sd = std::sqrt(sq / double(n) - mean * mean);
    EXPECT_NEAR(sd, 0.05, 0.05 * 8 / std::sqrt(double(n))) << spec.name;
    EXPECT_NEAR(mean, 0.0, 0.05 * 6 / std::sqrt(double(n))) << spec.name;
  }
}

TEST(ModelInit, CommandWritesALoadableModelThatTheSeedReproduces) {
  const fs::path root = ft::test::scratch_dir();
  ft::test::write_file(root / "config.json", ft::test::tiny_config_json());
  fs::create_directories(root / "tok");
  fs::copy_file(ft::test::fixtures_dir() / "tokenizers" / "trained_metaspace.tokenizer.json", root / "tok" / "tokenizer.json");
  const std::string base = "init --config " + (root / "config.json").string() + " --tokenizer " + (root / "tok").string();
  for (const char* name : {"a", "b"}) {
    const auto r = ft::test::run_finetune(base + " --seed 9 --output_dir " + (root / name).string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  ASSERT_EQ(ft::test::run_finetune(base + " --seed 10 --output_dir " + (root / "c").string()).exit_code, 0);
  const auto bytes = [&](const char* d) { return ft::test::read_file(root / d / "model.safetensors"); };
  EXPECT_EQ(bytes("a"), bytes("b"));
  EXPECT_NE(bytes("a"), bytes("c"));
  EXPECT_TRUE(fs::exists(root / "a" / "tokenizer.json"));
  ft::Model m = ft::Model::load((root / "a").string());
  const std::vector<int> ids = {1, 5, 9, 200};
  for (float v : m.forward(ids, 1, 4)) ASSERT_TRUE(std::isfinite(v));
  const auto again = ft::test::run_finetune(base + " --seed 9 --output_dir " + (root / "a").string());
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("--overwrite_output_dir"), std::string::npos) << again.output;
}

}  // namespace
