// The pipeline end to end (prepare_dataset): formats chosen by shape and model name, split,
// limits, packing, counted warnings, the cache reused on a second run, and the real 5,942-record
// medical_meadow file from ../shared.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/dataset.h"
#include "data/split.h"
#include "data_test_helpers.h"

namespace ft::data {
namespace {

const ft::test::FakeByteTokenizer tok;

std::string fixture(const char* name) { return (ft::test::fixtures_dir() / "data" / name).string(); }

DataContext context(const std::string& model = "models/llama-base") { return {tok, model, ""}; }

TEST(DataPipeline, AlpacaFixtureWithSplitAndDocumentPacking) {
  DataOptions opt;
  opt.train_file = fixture("alpaca_small.json");
  opt.validation_split_percentage = 20;
  opt.max_seq_length = 512;
  const auto ds = prepare_dataset(opt, context());
  EXPECT_EQ(ds.format, PromptFormat::kAlpaca);
  EXPECT_EQ(ds.file_records, 10u);
  EXPECT_EQ(ds.train_stats.records, 8u);
  EXPECT_EQ(ds.eval_stats.records, 2u);
  EXPECT_EQ(ds.train_stats.truncated, 0u);
  EXPECT_GT(ds.train_stats.trained_tokens, 0u);
  EXPECT_LT(ds.train_stats.trained_tokens, ds.train_stats.tokens);
  const size_t lower_bound = (ds.train_stats.tokens + 511) / 512;
  EXPECT_GE(ds.train.size(), lower_bound);
  EXPECT_LE(ds.train.size(), lower_bound + 1);
  EXPECT_EQ(ds.train_stats.sequences, ds.train.size());
  bool noted_split = false;
  for (const auto& n : ds.notes) noted_split |= n.find("read as a percentage") != std::string::npos;
  EXPECT_TRUE(noted_split);
}

TEST(DataPipeline, ChatModelNameSelectsLlama2Chat) {
  DataOptions opt;
  opt.train_file = fixture("alpaca_small.json");
  const auto ds = prepare_dataset(opt, context("meta-llama/Llama-2-7b-chat-hf"));
  EXPECT_EQ(ds.format, PromptFormat::kLlama2Chat);
  EXPECT_EQ(ds.train_examples[0].ids[0], 1);
  EXPECT_NE(ds.train_examples[0].ids[1], 1);
}

TEST(DataPipeline, CustomColumnsFromCsv) {
  DataOptions opt;
  opt.train_file = fixture("custom_columns.csv");
  opt.columns = {"question", "context", "answer"};
  opt.packing = PackingMode::kNone;
  const auto ds = prepare_dataset(opt, context());
  ASSERT_EQ(ds.train.size(), 2u);
  const std::string text = tok.decode(ds.train_examples[1].ids);
  EXPECT_NE(text.find("### Input:\napples, pears\n\n### Response:\napples\nand pears"), std::string::npos) << text;
}

TEST(DataPipeline, ChatRecordsNeedATemplate) {
  DataOptions opt;
  opt.train_file = fixture("chat_small.jsonl");
  const std::string msg = ft::test::input_error([&] { prepare_dataset(opt, context()); });
  EXPECT_NE(msg.find("no chat_template"), std::string::npos) << msg;
}

TEST(DataPipeline, ChatRecordsTrainOnTheLastReply) {
  ft::test::FakeByteTokenizer with_template;
  with_template.chat_template =
      "{{ bos_token }}{% for m in messages %}[{{ m['role'] }}]{{ m['content'] }}{{ eos_token }}{% endfor %}"
      "{% if add_generation_prompt %}[assistant]{% endif %}";
  DataOptions opt;
  opt.train_file = fixture("chat_small.jsonl");
  opt.packing = PackingMode::kNone;
  const auto ds = prepare_dataset(opt, {with_template, "m", ""});
  EXPECT_EQ(ds.format, PromptFormat::kChatTemplate);
  const auto& ex = ds.train_examples[2];
  std::vector<int> trained;
  for (size_t i = 0; i < ex.ids.size(); ++i)
    if (ex.labels[i] != kIgnoreLabel) trained.push_back(ex.ids[i]);
  EXPECT_EQ(with_template.decode(trained, false), "Black</s>");
  EXPECT_EQ(ex.ids[0], 1);
  EXPECT_NE(ex.ids[1], 1);
}

// A template that fails on one record gave only the template's line: in a large file the record
// could not be found.
TEST(DataPipeline, ATemplateErrorNamesTheRecord) {
  ft::test::FakeByteTokenizer with_template;
  with_template.chat_template =
      "{% for m in messages %}{% if m['content'] == 'Black' %}{{ raise_exception('no black') }}{% endif %}"
      "{{ m['content'] }}{% endfor %}";
  DataOptions opt;
  opt.train_file = fixture("chat_small.jsonl");
  const std::string msg = ft::test::input_error([&] { prepare_dataset(opt, {with_template, "m", ""}); });
  EXPECT_EQ(msg.rfind(opt.train_file + ": record 3 (line 3): ", 0), 0u) << msg;
  EXPECT_NE(msg.find("no black"), std::string::npos) << msg;
}

TEST(DataPipeline, WrongFormatForShapeIsRejected) {
  DataOptions opt;
  opt.train_file = fixture("alpaca_small.json");
  opt.prompt_format = "text";
  const std::string msg = ft::test::input_error([&] { prepare_dataset(opt, context()); });
  EXPECT_NE(msg.find("does not apply to instruction records"), std::string::npos) << msg;
}

TEST(DataPipeline, TruncationAndLimitsAreCounted) {
  DataOptions opt;
  opt.train_file = fixture("alpaca_small.json");
  opt.max_seq_length = 64;
  opt.max_train_samples = 6;
  opt.packing = PackingMode::kConcat;
  const auto ds = prepare_dataset(opt, context());
  EXPECT_EQ(ds.train_stats.records, 6u);
  EXPECT_GT(ds.train_stats.truncated, 0u);
  bool warned = false;
  for (const auto& n : ds.notes) warned |= n.find("were truncated") != std::string::npos;
  EXPECT_TRUE(warned);
  for (const auto& s : ds.train) EXPECT_EQ(s.size(), 64u);
}

TEST(DataPipeline, CacheIsReusedAndMatches) {
  DataOptions opt;
  opt.train_file = fixture("alpaca_small.json");
  opt.cache_dir = ft::test::data_scratch_dir().string();
  const auto first = prepare_dataset(opt, context());
  const auto second = prepare_dataset(opt, context());
  EXPECT_FALSE(first.from_cache);
  EXPECT_TRUE(second.from_cache);
  ASSERT_EQ(first.train_examples.size(), second.train_examples.size());
  for (size_t i = 0; i < first.train_examples.size(); ++i) {
    EXPECT_EQ(first.train_examples[i].ids, second.train_examples[i].ids);
    EXPECT_EQ(first.train_examples[i].labels, second.train_examples[i].labels);
  }
  opt.max_seq_length = 256;  // another option: another key
  EXPECT_FALSE(prepare_dataset(opt, context()).from_cache);
}

TEST(DataPipeline, ValidationFileReplacesSplit) {
  DataOptions opt;
  opt.train_file = fixture("alpaca_small.json");
  opt.validation_file = fixture("custom_columns.csv");
  opt.columns = {"question", "context", "answer"};
  const std::string msg = ft::test::input_error([&] { prepare_dataset(opt, context()); });
  EXPECT_NE(msg.find("alpaca_small.json"), std::string::npos) << msg;  // columns differ per file
  opt.columns = {};
  opt.validation_file = fixture("alpaca_small.json");
  opt.max_eval_samples = 3;
  const auto ds = prepare_dataset(opt, context());
  EXPECT_EQ(ds.train_stats.records, 10u);
  EXPECT_EQ(ds.eval_stats.records, 3u);
}

TEST(DataPipeline, MedicalMeadowLoads) {
  FT_REQUIRE_SHARED();
  const std::string file = (ft::test::shared_dir() / "data" / "medical_meadow_small.json").string();
  const Records recs = apply_schema(read_raw_dataset(file), {});
  EXPECT_EQ(recs.shape, RecordShape::kInstruction);
  ASSERT_EQ(recs.items.size(), 5942u);
  EXPECT_EQ(recs.items[0].input, "What are the symptoms of Allergy?");
  // The split sizes datasets' train_test_split gives: ceil(0.2 * 5942) = 1189 held out.
  const auto split = split_indices(recs.items.size(), 0.2, 42);
  EXPECT_EQ(split.eval.size(), 1189u);
  EXPECT_EQ(split.train.size(), 5942u - 1189u);
}

}  // namespace
}  // namespace ft::data
