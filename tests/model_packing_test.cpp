// Document-masked packing: several examples in one row, with positions restarting per example and
// segment ids, compute exactly what each example computes alone. Checked at the attention kernel
// (forward and backward against each segment run separately, with padding and a sliding window),
// in the model (per-token losses and LoRA gradients, with and without gradient checkpointing), and
// through the real data pipeline (pack_examples + collate + shift_labels against unpacked batches).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.h"
#include "data/collate.h"
#include "data/packing.h"
#include "kernels/attention.h"
#include "kernels/cross_entropy.h"
#include "model/lora.h"
#include "model_test_support.h"
#include "train/train_step.h"

namespace ft {
namespace {

std::vector<float> random_floats(size_t n, uint64_t seed, float scale = 1.0f) {
  const Rng rng(seed, RngStream::kTest);
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = scale * (2.0f * rng.uniform(i) - 1.0f);
  return out;
}

// --- kernel ----------------------------------------------------------------------------------

struct AttentionRun {
  std::vector<float> out, lse, dq, dk, dv;
};

AttentionRun run_attention(const AttentionShape& s, const std::vector<float>& q,
                           const std::vector<float>& k, const std::vector<float>& v,
                           const std::vector<float>& dout, const int32_t* segments) {
  AttentionRun r{std::vector<float>(q.size()), std::vector<float>(s.B * s.NH * s.T),
                 std::vector<float>(q.size()), std::vector<float>(k.size()),
                 std::vector<float>(v.size())};
  attention_forward(r.out.data(), r.lse.data(), q.data(), k.data(), v.data(), s, segments);
  attention_backward(r.dq.data(), r.dk.data(), r.dv.data(), dout.data(), r.out.data(),
                     r.lse.data(), q.data(), k.data(), v.data(), s, segments);
  return r;
}

// Rows [from, from+n) of a [T, width] slice of row b.
std::vector<float> rows_of(const std::vector<float>& x, int64_t b, int64_t T, int64_t width,
                           int64_t from, int64_t n) {
  const auto at = x.begin() + (b * T + from) * width;
  return {at, at + n * width};
}

void expect_near_all(const std::vector<float>& got, const std::vector<float>& want,
                     const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5) << what << "[" << i << "]";
}

// Each row is a list of segment lengths; the rest of the row is padding (segment −1).
void check_masked_attention(const std::vector<std::vector<int64_t>>& rows, int64_t T,
                            int64_t window) {
  SCOPED_TRACE(::testing::Message() << "T=" << T << " window=" << window);
  AttentionShape s{.B = int64_t(rows.size()), .T = T, .NH = 4, .NKV = 2, .HD = 8, .past = 0,
                   .kv_capacity = T, .window = window};
  const int64_t QD = s.NH * s.HD, KVD = s.NKV * s.HD;
  std::vector<int32_t> segments(s.B * T, -1);
  for (int64_t b = 0; b < s.B; ++b) {
    int64_t at = 0;
    for (size_t i = 0; i < rows[b].size(); ++i)
      for (int64_t j = 0; j < rows[b][i]; ++j) segments[b * T + at++] = int32_t(i);
  }
  const auto q = random_floats(s.B * T * QD, 1, 2.0f), k = random_floats(s.B * T * KVD, 2, 2.0f);
  const auto v = random_floats(s.B * T * KVD, 3), dout = random_floats(s.B * T * QD, 4);
  const AttentionRun packed = run_attention(s, q, k, v, dout, segments.data());
  for (float x : packed.out) ASSERT_TRUE(std::isfinite(x));
  for (float x : packed.dk) ASSERT_TRUE(std::isfinite(x));
  for (int64_t b = 0; b < s.B; ++b) {
    int64_t from = 0;
    for (const int64_t n : rows[b]) {
      AttentionShape alone = s;
      alone.B = 1;
      alone.T = alone.kv_capacity = n;
      const AttentionRun want =
          run_attention(alone, rows_of(q, b, T, QD, from, n), rows_of(k, b, T, KVD, from, n),
                        rows_of(v, b, T, KVD, from, n), rows_of(dout, b, T, QD, from, n), nullptr);
      expect_near_all(rows_of(packed.out, b, T, QD, from, n), want.out, "out");
      expect_near_all(rows_of(packed.dq, b, T, QD, from, n), want.dq, "dq");
      expect_near_all(rows_of(packed.dk, b, T, KVD, from, n), want.dk, "dk");
      expect_near_all(rows_of(packed.dv, b, T, KVD, from, n), want.dv, "dv");
      for (int64_t h = 0; h < s.NH; ++h)
        for (int64_t t = 0; t < n; ++t)
          ASSERT_NEAR(packed.lse[(b * s.NH + h) * T + from + t], want.lse[h * n + t], 1e-5);
      from += n;
    }
  }
}

TEST(ModelPacking, MaskedAttentionEqualsEachSegmentAlone) {
  // Segments longer than the kernel's 64-key tile, short ones, and trailing padding.
  check_masked_attention({{70, 60}, {5, 100, 45}, {150}}, 150, 0);
  check_masked_attention({{3, 1, 9}, {12}}, 16, 0);
}

TEST(ModelPacking, MaskedAttentionWithSlidingWindow) {
  check_masked_attention({{20, 7, 9}, {3, 30}}, 40, 6);
}

TEST(ModelPacking, SegmentsNeedNoKvCache) {
  std::vector<float> x(64);
  const std::vector<int32_t> seg = {0, 0};
  const AttentionShape s{.B = 1, .T = 2, .NH = 1, .NKV = 1, .HD = 2, .past = 1, .kv_capacity = 4};
  EXPECT_THROW(attention_forward(x.data(), x.data(), x.data(), x.data(), x.data(), s, seg.data()),
               std::invalid_argument);
}

// --- model -----------------------------------------------------------------------------------

struct Example {
  std::vector<int> ids, targets;  // targets already shifted (position t predicts targets[t])
};

std::vector<Example> random_examples(const std::vector<int>& lengths, uint64_t seed) {
  const Rng rng(seed, RngStream::kTest);
  std::vector<Example> out;
  uint64_t draw = 0;
  for (const int n : lengths) {
    Example e;
    for (int t = 0; t < n; ++t) {
      e.ids.push_back(3 + int(rng.below(90, draw++)));
      e.targets.push_back(3 + int(rng.below(90, draw++)));
    }
    e.targets.back() = kIgnoreIndex;
    e.targets[0] = kIgnoreIndex;  // as a masked prompt token
    out.push_back(std::move(e));
  }
  return out;
}

struct Rows {
  std::vector<int> ids, targets, positions, segments;
  int64_t B = 0, T = 0;
};

// groups[b] lists the examples packed into row b; the rest of each row is padding.
Rows pack_rows(const std::vector<Example>& ex, const std::vector<std::vector<size_t>>& groups,
               int64_t T) {
  Rows r{{}, {}, {}, {}, int64_t(groups.size()), T};
  for (const auto& group : groups) {
    int64_t used = 0;
    for (size_t seg = 0; seg < group.size(); ++seg) {
      const Example& e = ex[group[seg]];
      for (size_t t = 0; t < e.ids.size(); ++t) {
        r.ids.push_back(e.ids[t]);
        r.targets.push_back(e.targets[t]);
        r.positions.push_back(int(t));
        r.segments.push_back(int(seg));
      }
      used += int64_t(e.ids.size());
    }
    for (; used < T; ++used) {
      r.ids.push_back(0);
      r.targets.push_back(kIgnoreIndex);
      r.positions.push_back(0);
      r.segments.push_back(-1);
    }
  }
  return r;
}

struct Outcome {
  std::vector<float> losses, grads;
  double loss_sum = 0;
  int64_t counted = 0;
};

Outcome run(Model& model, LoraWeights& lora, const Rows& r, bool with_segments) {
  Outcome o;
  o.losses.resize(r.ids.size());
  const std::span<const int> seg = with_segments ? std::span<const int>(r.segments) : std::span<const int>();
  model.forward_loss(r.ids, r.targets, r.B, r.T, o.losses, r.positions, seg);
  lora.zero_grads();
  const auto sum = model.forward_backward(r.ids, r.targets, r.B, r.T, 1.0f, r.positions, seg);
  o.loss_sum = sum.sum;
  o.counted = sum.counted;
  o.grads.assign(lora.grads().begin(), lora.grads().end());
  return o;
}

void expect_same_grads(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  double scale = 0;
  for (float g : want) scale = std::max(scale, std::abs(double{g}));
  ASSERT_GT(scale, 0.0);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5 * scale) << i;
}

class ModelPackingTest : public ::testing::TestWithParam<bool> {};

TEST_P(ModelPackingTest, PackedRowEqualsSeparateRows) {
  Model model = test::synthetic_model(DType::F32);
  model.set_gradient_checkpointing(GetParam());
  LoraWeights lora(model.config(), {.rank = 2, .alpha = 4.0, .targets = parse_lora_targets("all-linear")});
  const Rng rng(17, RngStream::kTest);
  auto values = lora.values();
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.3f * (2.0f * rng.uniform(i) - 1.0f);
  model.attach_lora(&lora);

  const auto ex = random_examples({9, 13, 6, 11}, 5);
  const Rows packed = pack_rows(ex, {{0, 1, 2}, {3}}, 32);
  const Rows alone = pack_rows(ex, {{0}, {1}, {2}, {3}}, 13);
  const Outcome p = run(model, lora, packed, true);
  const Outcome a = run(model, lora, alone, true);
  EXPECT_EQ(p.counted, a.counted);
  EXPECT_NEAR(p.loss_sum, a.loss_sum, 1e-5 * a.loss_sum);
  expect_same_grads(p.grads, a.grads);
  const size_t where[4][2] = {{0, 0}, {9, 13}, {22, 26}, {32, 39}};  // (packed, alone) row starts
  for (size_t e = 0; e < ex.size(); ++e)
    for (size_t t = 0; t < ex[e].ids.size(); ++t)
      ASSERT_NEAR(p.losses[where[e][0] + t], a.losses[where[e][1] + t], 1e-5) << e << ":" << t;

  // Without segments the packed examples see each other: the test can tell.
  const Outcome leaky = run(model, lora, packed, false);
  EXPECT_GT(std::abs(leaky.loss_sum - a.loss_sum), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Checkpointing, ModelPackingTest, ::testing::Bool());

TEST(ModelPacking, RejectsBadSegments) {
  Model model = test::synthetic_model(DType::F32);
  const std::vector<int> ids(8, 5), too_short(7, 0);
  EXPECT_THROW(model.forward(ids, 2, 4, {}, too_short), std::invalid_argument);
  const std::vector<int> reused = {0, 0, 1, 0, 0, 1, 1, -1};  // document 0 again after 1
  EXPECT_THROW(model.forward(ids, 2, 4, {}, reused), std::invalid_argument);
  const std::vector<int> below = {0, 0, 1, 1, 0, -2, -1, -1};
  EXPECT_THROW(model.forward(ids, 2, 4, {}, below), std::invalid_argument);
  const std::vector<int> good = {0, 0, 1, 1, 0, 1, -1, -1};
  EXPECT_NO_THROW(model.forward(ids, 2, 4, {}, good));
}

// --- through the data pipeline ---------------------------------------------------------------

Rows collated(const std::vector<data::Sequence>& seqs) {
  std::vector<const data::Sequence*> ptrs;
  for (const auto& s : seqs) ptrs.push_back(&s);
  const data::Batch batch = data::collate(ptrs, 0);
  Rows r{batch.ids, {}, batch.positions, batch.segments, batch.B, batch.T};
  shift_labels(batch.labels, batch.B, batch.T, r.targets);
  return r;
}

TEST(ModelPacking, DocumentPackedBatchesTrainAsUnpackedOnes) {
  Model model = test::synthetic_model(DType::F32);
  LoraWeights lora(model.config(), {.rank = 2, .alpha = 4.0, .targets = parse_lora_targets("q_proj,v_proj,down_proj")});
  const Rng rng(23, RngStream::kTest);
  auto values = lora.values();
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.3f * (2.0f * rng.uniform(i) - 1.0f);
  model.attach_lora(&lora);

  std::vector<data::TokenizedExample> examples;
  uint64_t draw = 0;
  for (const int n : {14, 5, 9, 20, 3, 11, 7}) {
    data::TokenizedExample ex;
    for (int t = 0; t < n; ++t) {
      ex.ids.push_back(3 + int32_t(rng.below(90, 1000 + draw++)));
      ex.labels.push_back(t < n / 3 ? data::kIgnoreLabel : ex.ids.back());
    }
    examples.push_back(std::move(ex));
  }
  const auto packed_seqs = data::pack_examples(examples, data::PackingMode::kDocument, 24);
  ASSERT_LT(packed_seqs.size(), examples.size());
  const Rows packed = collated(packed_seqs);
  const Rows unpacked = collated(data::pack_examples(examples, data::PackingMode::kNone, 24));
  const Outcome p = run(model, lora, packed, true);
  const Outcome u = run(model, lora, unpacked, true);
  EXPECT_EQ(p.counted, u.counted);
  EXPECT_NEAR(p.loss_sum, u.loss_sum, 1e-5 * u.loss_sum);
  expect_same_grads(p.grads, u.grads);
  const Outcome leaky = run(model, lora, packed, false);
  EXPECT_GT(std::abs(leaky.loss_sum - u.loss_sum), 1e-3);
}

}  // namespace
}  // namespace ft
