// Schema detection and typed records: instruction (configurable columns), chat, text; missing
// columns list what was found; wrong types name the record and field.
#include <gtest/gtest.h>

#include "data/schema.h"
#include "data_test_helpers.h"

namespace ft::data {
namespace {

using ft::test::input_error;

RawDataset raw_from(const std::string& jsonl) {
  RawDataset raw;
  raw.file = "mem.jsonl";
  raw.format = "jsonl";
  raw.records = parse_json_lines(raw.file, jsonl);
  return raw;
}

TEST(DataSchema, InstructionRecordsWithOptionalInput) {
  const auto recs = apply_schema(
      raw_from("{\"instruction\":\"i\",\"output\":\"o\"}\n{\"instruction\":\"i2\",\"input\":null,\"output\":\"o2\"}\n"),
      {});
  EXPECT_EQ(recs.shape, RecordShape::kInstruction);
  ASSERT_EQ(recs.items.size(), 2u);
  EXPECT_EQ(recs.items[0].input, "");
  EXPECT_EQ(recs.items[1].output, "o2");
  EXPECT_NE(recs.description.find("instruction"), std::string::npos);
}

TEST(DataSchema, ConfigurableColumnNames) {
  ColumnNames c;
  c.instruction = "question";
  c.input = "context";
  c.output = "answer";
  const auto recs = apply_schema(raw_from("{\"question\":\"q\",\"context\":\"c\",\"answer\":\"a\"}\n"), c);
  EXPECT_EQ(recs.items[0].instruction, "q");
  EXPECT_EQ(recs.items[0].input, "c");
  EXPECT_EQ(recs.items[0].output, "a");
}

TEST(DataSchema, MissingColumnListsColumnsFound) {
  const auto raw = raw_from("{\"instruction\":\"i\",\"output\":\"o\"}\n{\"instruction\":\"i\",\"reply\":\"r\"}\n");
  const std::string msg = input_error([&] { apply_schema(raw, {}); });
  EXPECT_NE(msg.find("record 2 (line 2)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[instruction, reply]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--output_column_name"), std::string::npos) << msg;
}

TEST(DataSchema, UnknownShapeListsColumnsFound) {
  const std::string msg = input_error([&] { apply_schema(raw_from("{\"q\":\"a\",\"b\":1}\n"), {}); });
  EXPECT_NE(msg.find("columns found [b, q]"), std::string::npos) << msg;
}

TEST(DataSchema, WrongFieldType) {
  const auto raw = raw_from("{\"instruction\":\"i\",\"output\":42}\n");
  const std::string msg = input_error([&] { apply_schema(raw, {}); });
  EXPECT_NE(msg.find("field \"output\" is number, expected a string"), std::string::npos) << msg;
}

TEST(DataSchema, ChatRecords) {
  const auto recs = apply_schema(
      raw_from(R"({"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]})"), {});
  EXPECT_EQ(recs.shape, RecordShape::kChat);
  ASSERT_EQ(recs.items[0].messages.size(), 2u);
  EXPECT_EQ(recs.items[0].messages[1].content, "hello");
}

TEST(DataSchema, ChatMustEndWithAssistantAndBeWellTyped) {
  const std::string last = input_error(
      [] { apply_schema(raw_from(R"({"messages":[{"role":"user","content":"hi"}]})"), {}); });
  EXPECT_NE(last.find("must end with the assistant reply"), std::string::npos) << last;
  const std::string msg = input_error(
      [] { apply_schema(raw_from(R"({"messages":[{"role":"user","content":["x"]},{"role":"assistant","content":"a"}]})"), {}); });
  EXPECT_NE(msg.find("messages[0].content"), std::string::npos) << msg;
}

TEST(DataSchema, TextRecords) {
  const auto recs = apply_schema(raw_from("{\"text\":\"once upon a time\"}\n"), {});
  EXPECT_EQ(recs.shape, RecordShape::kText);
  EXPECT_EQ(recs.items[0].text, "once upon a time");
}

}  // namespace
}  // namespace ft::data
