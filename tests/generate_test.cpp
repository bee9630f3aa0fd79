// Generation and sampling on the synthetic model: greedy decoding through the KV cache equals
// argmax over full forwards, seeds replay, stop ids and limits end generation, and the sampler's
// draws follow softmax(logits / temperature) restricted to the top-p set.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "model/generate.h"
#include "model/sampler.h"
#include "model_test_support.h"

namespace ft {
namespace {

const std::vector<int> kPrompt{1, 17, 42, 5};

TEST(Generate, GreedyEqualsArgmaxOfFullForwards) {
  Model model = test::synthetic_model(DType::F32);
  GenerationOptions opt;
  opt.max_new_tokens = 10;
  std::vector<int> streamed;
  const auto result = generate(model, kPrompt, opt, [&](int id) { streamed.push_back(id); });
  ASSERT_EQ(result.tokens.size(), 10u);
  EXPECT_EQ(result.reason, StopReason::MaxNewTokens);
  EXPECT_EQ(streamed, result.tokens);
  std::vector<int> seq = kPrompt;
  const int64_t V = model.config().vocab_size;
  for (int want : result.tokens) {
    const auto T = static_cast<int64_t>(seq.size());
    const auto last = model.forward(seq, 1, T).subspan((T - 1) * V, V);
    EXPECT_EQ(std::max_element(last.begin(), last.end()) - last.begin(), want);
    seq.push_back(want);
  }
}

// NaN weights gave NaN logits, from which greedy decoding picked token 0 (or a stop id): the
// command printed nothing more and exited 0.
TEST(Generate, NonFiniteLogitsAreAnErrorNamingTheWeights) {
  Model model = test::synthetic_model(DType::F32);
  const ModelConfig& c = model.config();
  float* norm = static_cast<float*>(weight_pointer(model.weights(), c, weight_specs(c).back()));
  norm[0] = std::nanf("");
  GenerationOptions opt;
  opt.max_new_tokens = 3;
  try {
    generate(model, kPrompt, opt, {});
    FAIL() << "expected ft::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_NE(std::string(e.what()).find("NaN or infinite logits at generated token 1"), std::string::npos)
        << e.what();
  }
}

TEST(Generate, SameSeedSameTokensOtherSeedOtherTokens) {
  Model model = test::synthetic_model(DType::F32);
  GenerationOptions opt;
  opt.max_new_tokens = 24;
  opt.sampling = {.temperature = 1.5f, .top_p = 0.95f, .seed = 1234};
  const auto a = generate(model, kPrompt, opt).tokens;
  const auto b = generate(model, kPrompt, opt).tokens;
  opt.sampling.seed = 99;
  const auto c = generate(model, kPrompt, opt).tokens;
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(Generate, StopsAtStopIdWithoutEmittingIt) {
  Model model = test::synthetic_model(DType::F32);
  GenerationOptions opt;
  opt.max_new_tokens = 10;
  const auto free_run = generate(model, kPrompt, opt).tokens;
  opt.stop_ids = {free_run[3]};
  const auto first_stop = std::find(free_run.begin(), free_run.end(), free_run[3]) - free_run.begin();
  const auto stopped = generate(model, kPrompt, opt);
  EXPECT_EQ(stopped.reason, StopReason::StopToken);
  EXPECT_EQ(stopped.tokens, std::vector<int>(free_run.begin(), free_run.begin() + first_stop));
}

TEST(Generate, StopsWhenTheContextIsFull) {
  Model model = test::synthetic_model(DType::F32);  // context 64
  GenerationOptions opt;
  opt.max_new_tokens = 1000;
  std::vector<int> prompt(60, 7);
  const auto result = generate(model, prompt, opt);
  EXPECT_EQ(result.reason, StopReason::ContextFull);
  EXPECT_EQ(result.tokens.size(), 5u);  // positions 60..63 fed back, the 5th token chosen at 63
  opt.max_new_tokens = 0;
  EXPECT_TRUE(generate(model, prompt, opt).tokens.empty());
  EXPECT_THROW(generate(model, std::vector<int>(64, 7), opt), Error);
}

TEST(Sampler, GreedyTakesTheFirstMaximum) {
  const std::vector<float> logits{0.5f, 3.0f, -1.0f, 3.0f};
  EXPECT_EQ(sample_token(logits, {.temperature = 0.0f}, 0), 1);
  EXPECT_EQ(sample_token(logits, {.temperature = 1.0f, .top_p = 1e-6f}, 5), 1);
}

TEST(Sampler, DrawsFollowTemperatureSoftmaxWithinTopP) {
  const std::vector<float> logits{2.0f, 1.0f, 0.0f, -3.0f};
  const float temperature = 0.8f;
  std::vector<double> p(logits.size());
  double z = 0;
  for (size_t i = 0; i < p.size(); ++i) z += p[i] = std::exp(logits[i] / temperature);
  for (auto& x : p) x /= z;
  // top_p just below p0 + p1 keeps exactly tokens 0 and 1.
  const float top_p = static_cast<float>(p[0] + p[1]) - 1e-3f;
  std::vector<int> counts(logits.size());
  const int draws = 20000;
  for (int s = 0; s < draws; ++s) ++counts[sample_token(logits, {.temperature = temperature, .top_p = top_p, .seed = 3}, s)];
  EXPECT_EQ(counts[2] + counts[3], 0);
  EXPECT_NEAR(counts[0] / double(draws), p[0] / (p[0] + p[1]), 0.015);
}

}  // namespace
}  // namespace ft
