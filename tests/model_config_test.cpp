#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "formats/safetensors.h"
#include "model/config.h"
#include "safetensors_test_util.h"
#include "test_support.h"

using ft::test::expect_input_error;

namespace {

// A minimal config of `arch` with `extra` JSON members appended.
std::string config_json(const std::string& arch, const std::string& extra = "") {
  return R"({"architectures": [")" + arch + R"("], "hidden_size": 64, "intermediate_size": 172,
    "num_hidden_layers": 2, "num_attention_heads": 8, "vocab_size": 100)" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

ft::ModelConfig parse(const std::string& json) { return ft::parse_model_config(json, "dir/config.json"); }

// Llama 3.1's frequency rule, in double precision, as Meta's reference apply_scaling states it.
std::vector<double> llama31_reference(double theta, int dim, double factor, double low, double high, double old_ctx) {
  std::vector<double> out;
  for (int i = 0; i < dim; i += 2) {
    const double freq = 1.0 / std::pow(theta, static_cast<double>(i) / dim);
    const double wavelen = 2 * std::numbers::pi / freq;
    if (wavelen < old_ctx / high) {
      out.push_back(freq);
    } else if (wavelen > old_ctx / low) {
      out.push_back(freq / factor);
    } else {
      const double smooth = (old_ctx / wavelen - low) / (high - low);
      out.push_back((1 - smooth) * freq / factor + smooth * freq);
    }
  }
  return out;
}

}  // namespace

TEST(ModelConfig, LlamaDefaults) {
  const auto c = parse(config_json("LlamaForCausalLM"));
  EXPECT_EQ(c.model_type, "llama");
  EXPECT_EQ(c.num_key_value_heads, 8);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_EQ(c.rope_scaling.type, "");
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_FALSE(c.mlp_bias);
  EXPECT_EQ(c.sliding_window, 0);
  EXPECT_EQ(c.bos_token_id, -1);
  EXPECT_TRUE(c.eos_token_ids.empty());
}

TEST(ModelConfig, ReadsOptionalFields) {
  const auto c = parse(config_json("LlamaForCausalLM", R"("num_key_value_heads": 2, "head_dim": 16,
      "rope_theta": 500000.0, "rms_norm_eps": 1e-5, "tie_word_embeddings": true, "attention_bias": true,
      "mlp_bias": true, "bos_token_id": 128000, "eos_token_id": [128001, 128009], "torch_dtype": "bfloat16",
      "max_position_embeddings": 131072.0)"));
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_DOUBLE_EQ(c.rope_theta, 500000.0);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-5);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_TRUE(c.attention_bias);
  EXPECT_TRUE(c.mlp_bias);
  EXPECT_EQ(c.bos_token_id, 128000);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int>{128001, 128009}));
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  EXPECT_EQ(c.max_position_embeddings, 131072);
  EXPECT_EQ(parse(config_json("LlamaForCausalLM", R"("eos_token_id": 2, "bos_token_id": null)")).eos_token_ids,
            std::vector<int>{2});
}

TEST(ModelConfig, MistralAndQwen2FollowTheirClasses) {
  const auto m = parse(config_json("MistralForCausalLM", R"("sliding_window": 4096, "attention_bias": true)"));
  EXPECT_EQ(m.model_type, "mistral");
  EXPECT_EQ(m.num_key_value_heads, 8);
  EXPECT_EQ(m.sliding_window, 4096);
  EXPECT_FALSE(m.attention_bias);  // MistralAttention has no biases
  EXPECT_EQ(parse(config_json("MistralForCausalLM", R"("sliding_window": null)")).sliding_window, 0);

  const auto q = parse(config_json("Qwen2ForCausalLM", R"("num_key_value_heads": 2, "rope_theta": 1000000.0,
      "sliding_window": 32768, "use_sliding_window": false, "attention_bias": false)"));
  EXPECT_EQ(q.model_type, "qwen2");
  EXPECT_TRUE(q.attention_bias);  // q/k/v always carry biases
  EXPECT_EQ(q.sliding_window, 0);
  EXPECT_DOUBLE_EQ(q.rope_theta, 1e6);
  EXPECT_EQ(parse(config_json("Qwen2ForCausalLM", R"("use_sliding_window": true, "sliding_window": 4096)")).sliding_window,
            4096);
}

TEST(ModelConfig, RejectsBadFieldsNamingFileAndField) {
  expect_input_error([] { parse(config_json("GPT2LMHeadModel")); },
                     {"dir/config.json", "unsupported architecture GPT2LMHeadModel", "LlamaForCausalLM",
                      "MistralForCausalLM", "Qwen2ForCausalLM"});
  expect_input_error([] { parse("{not json"); }, {"dir/config.json", "not valid JSON"});
  expect_input_error([] { parse(R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64})"); },
                     {"dir/config.json", "\"intermediate_size\"", "missing"});
  expect_input_error([] { parse(config_json("LlamaForCausalLM", R"("vocab_size": -5)")); }, {"\"vocab_size\"", "-5"});
  expect_input_error([] { parse(config_json("LlamaForCausalLM", R"("vocab_size": "100")")); }, {"\"vocab_size\"", "integer"});
  expect_input_error([] { parse(config_json("LlamaForCausalLM", R"("num_key_value_heads": 3)")); },
                     {"\"num_key_value_heads\"", "divide"});
  expect_input_error([] { parse(config_json("LlamaForCausalLM", R"("num_attention_heads": 7)")); },
                     {"\"hidden_size\"", "divisible"});
  expect_input_error([] { parse(config_json("LlamaForCausalLM", R"("tie_word_embeddings": "yes")")); },
                     {"\"tie_word_embeddings\"", "true or false"});
  expect_input_error([] { parse(config_json("LlamaForCausalLM", R"("rms_norm_eps": 0)")); }, {"\"rms_norm_eps\""});
  expect_input_error([] { parse(config_json("LlamaForCausalLM", R"("hidden_act": "gelu")")); }, {"\"hidden_act\"", "gelu"});
  expect_input_error([] { parse(config_json("LlamaForCausalLM", R"("rope_scaling": {"type": "yarn", "factor": 4})")); },
                     {"\"rope_scaling\"", "yarn", "linear, llama3"});
  expect_input_error([] { parse(config_json("LlamaForCausalLM", R"("rope_scaling": {"rope_type": "llama3", "factor": 8})")); },
                     {"\"rope_scaling.low_freq_factor\"", "missing"});
  expect_input_error([] { ft::load_model_config("/nonexistent/config.json"); }, {"/nonexistent/config.json", "cannot open"});
}

// hidden_size 1e9 passed (it fits an int) and wrapped the parameter count (UBSan: signed overflow
// in parameter_count), then allocation sizes; the config is now refused where it is read.
TEST(ModelConfig, RejectsSizesWhoseProductsWouldOverflow) {
  expect_input_error(
      [] {
        parse(R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 1000000000, "intermediate_size": 1000000000,
                  "num_hidden_layers": 5, "num_attention_heads": 8, "vocab_size": 512})");
      },
      {"dir/config.json", "parameters (hidden_size 1000000000, intermediate_size 1000000000, vocab_size 512, "
                          "num_hidden_layers 5), beyond 2^44"});
  // Per-layer tables came before any size check: a billion layers grew memory without limit.
  expect_input_error([] { parse(config_json("LlamaForCausalLM", R"("num_hidden_layers": 1000000000)")); },
                     {"dir/config.json", "\"num_hidden_layers\"", "at most 4096 layers"});
  // The largest published shapes stay well inside: Llama 3.1 405B.
  const ft::ModelConfig big = parse(R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 16384,
      "intermediate_size": 53248, "num_hidden_layers": 126, "num_attention_heads": 128,
      "num_key_value_heads": 8, "vocab_size": 128256})");
  EXPECT_NEAR(double(big.parameter_count()), 405.8e9, 1e9);
}

TEST(ModelConfig, DefaultRopeMatchesTheFormula) {
  const auto c = parse(config_json("LlamaForCausalLM", R"("rope_scaling": {"rope_type": "default"})"));
  const auto inv = c.rope_inv_freq();
  ASSERT_EQ(inv.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(inv[i], 1.0 / std::pow(10000.0, 2.0 * i / 8), 1e-6 * inv[i]);

  const auto linear = parse(config_json("LlamaForCausalLM", R"("rope_scaling": {"type": "linear", "factor": 4.0})"));
  EXPECT_EQ(linear.rope_scaling.type, "linear");
  const auto scaled = linear.rope_inv_freq();
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(scaled[i], inv[i] / 4.0f);
}

TEST(ModelConfig, Llama3RopeScalingMatchesReference) {
  // Llama 3.1 8B's RoPE settings with its 128-wide heads.
  const std::string sizes = R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 4096,
      "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "vocab_size": 128256, )";
  const auto c = parse(sizes + R"("rope_theta": 500000.0, "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0,
      "high_freq_factor": 4.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"}})");
  const auto inv = c.rope_inv_freq();
  const auto ref = llama31_reference(500000.0, 128, 8.0, 1.0, 4.0, 8192.0);
  ASSERT_EQ(inv.size(), ref.size());
  int unchanged = 0, divided = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    EXPECT_NEAR(inv[i], ref[i], 2e-6 * ref[i]) << i;
    const double plain = 1.0 / std::pow(500000.0, static_cast<double>(2 * i) / 128);
    unchanged += std::fabs(ref[i] - plain) < 1e-12 * plain;
    divided += std::fabs(ref[i] - plain / 8) < 1e-12 * plain;
  }
  // All three regimes occur: kept, divided by the factor, and smoothly blended in between.
  EXPECT_GT(unchanged, 0);
  EXPECT_GT(divided, 0);
  EXPECT_LT(unchanged + divided, static_cast<int>(ref.size()));

  // transformers 5 spells it rope_parameters, with rope_theta inside.
  const auto v5 = parse(sizes + R"("rope_parameters": {"rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
      "high_freq_factor": 4.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"}})");
  EXPECT_EQ(v5.rope_inv_freq(), inv);
}

TEST(ModelConfig, ParameterCount) {
  // embed 10*4 + 2 layers * (q 16 + k 8 + v 8 + o 16 + mlp 72 + norms 8) + norm 4 + lm_head 40.
  const auto c = parse(R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 4, "intermediate_size": 6,
      "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 10})");
  EXPECT_EQ(c.parameter_count(), 340);
  // Qwen2 adds q/k/v biases (4 + 2 + 2 per layer) but no o_proj bias.
  const auto q = parse(R"({"architectures": ["Qwen2ForCausalLM"], "hidden_size": 4, "intermediate_size": 6,
      "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 10})");
  EXPECT_EQ(q.parameter_count(), 356);
}

TEST(ModelConfig, Stories260kMatchesItsWeights) {
  FT_REQUIRE_SHARED();
  const auto dir = ft::test::shared_dir() / "models" / "stories260k";
  const auto c = ft::load_model_config((dir / "config.json").string());
  EXPECT_EQ(c.architecture, "LlamaForCausalLM");
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.eos_token_ids, std::vector<int>{2});
  const auto store = ft::WeightStore::open_dir(dir.string());
  long long total = 0;
  for (const auto& name : store.names()) total += store.require(name).numel();
  EXPECT_EQ(c.parameter_count(), total);
}

// Configs saved by transformers 4.49 (tests/fixtures/tiny_models) describe exactly their weights.
TEST(ModelConfig, TinyTransformersModelsMatchTheirWeights) {
  const auto root = ft::test::fixtures_dir() / "tiny_models";
  for (const char* model : {"llama3_rope_tied", "llama_gqa_untied", "llama_sharded_bf16", "mistral", "qwen2_bias"}) {
    SCOPED_TRACE(model);
    const auto c = ft::load_model_config((root / model / "config.json").string());
    const auto store = ft::WeightStore::open_dir((root / model).string());
    long long total = 0;
    for (const auto& name : store.names()) total += store.require(name).numel();
    EXPECT_EQ(c.parameter_count(), total);
    EXPECT_EQ(store.contains("lm_head.weight"), !c.tie_word_embeddings);
    EXPECT_EQ(store.contains("model.layers.0.self_attn.q_proj.bias"), c.attention_bias);
  }
  const auto llama3 = ft::load_model_config((root / "llama3_rope_tied" / "config.json").string());
  EXPECT_EQ(llama3.head_dim, 16);
  EXPECT_EQ(llama3.rope_scaling.type, "llama3");
  EXPECT_EQ(llama3.rope_scaling.original_max_position_embeddings, 64);
  EXPECT_EQ(llama3.eos_token_ids, (std::vector<int>{2, 3}));
  EXPECT_EQ(ft::load_model_config((root / "mistral" / "config.json").string()).torch_dtype, "float16");
}
