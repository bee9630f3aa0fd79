// Dataset readers: JSON array, JSON Lines (and .json files holding JSON Lines), RFC 4180 CSV, and
// one clear error per kind of bad file.
#include <gtest/gtest.h>

#include "data/raw_records.h"
#include "data_test_helpers.h"

namespace ft::data {
namespace {

using ft::test::input_error;
using ft::test::write_scratch;

TEST(DataReaders, JsonArrayOfRecords) {
  const auto ds = read_raw_dataset(
      write_scratch("a.json", R"([{"instruction":"i1","output":"o1"},{"instruction":"i2","input":"x","output":"o2"}])"));
  EXPECT_EQ(ds.format, "json");
  ASSERT_EQ(ds.records.size(), 2u);
  EXPECT_EQ(ds.records[1].value["input"], "x");
}

TEST(DataReaders, JsonLinesByExtensionAndBySniffing) {
  const std::string rows = "{\"text\":\"a\"}\n\n{\"text\":\"b\"}\r\n{\"text\":\"c\"}";
  const auto jsonl = read_raw_dataset(write_scratch("a.jsonl", rows));
  const auto sniffed = read_raw_dataset(write_scratch("b.json", rows));
  EXPECT_EQ(jsonl.format, "jsonl");
  EXPECT_EQ(sniffed.format, "jsonl");
  ASSERT_EQ(sniffed.records.size(), 3u);
  EXPECT_EQ(sniffed.records[2].value["text"], "c");
  EXPECT_EQ(sniffed.records[2].line, 4u);
}

TEST(DataReaders, SingleMultiLineObjectIsOneRecord) {
  const auto ds = read_raw_dataset(write_scratch("one.json", "{\n \"text\": \"x\"\n}\n"));
  EXPECT_EQ(ds.format, "json");
  EXPECT_EQ(ds.records.size(), 1u);
}

TEST(DataReaders, CsvQuotingEscapesAndNewlines) {
  const std::string csv =
      "\xEF\xBB\xBFinstruction,input,output\r\n"
      "\"Say \"\"hi\"\", please\",,\"line1\nline2\"\r\n"
      "plain,\"a,b\",c\n";
  const auto ds = read_raw_dataset(write_scratch("a.csv", csv));
  EXPECT_EQ(ds.format, "csv");
  ASSERT_EQ(ds.records.size(), 2u);
  EXPECT_EQ(ds.records[0].value["instruction"], "Say \"hi\", please");
  EXPECT_EQ(ds.records[0].value["input"], "");
  EXPECT_EQ(ds.records[0].value["output"], "line1\nline2");
  EXPECT_EQ(ds.records[1].value["input"], "a,b");
  EXPECT_EQ(ds.records[1].line, 4u);
}

TEST(DataReaders, MalformedJsonNamesTheLine) {
  const auto f = write_scratch("bad.json", "[\n{\"instruction\": \"a\",\n\"output\": }\n]");
  const std::string msg = input_error([&] { read_raw_dataset(f); });
  EXPECT_NE(msg.find("bad.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
}

TEST(DataReaders, MalformedJsonLinesNamesTheLine) {
  const auto f = write_scratch("bad.jsonl", "{\"text\":\"a\"}\n{\"text\": \"b\"\n");
  const std::string msg = input_error([&] { read_raw_dataset(f); });
  EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
}

// A number past double's range is nlohmann's out_of_range, not a parse_error: it was an
// uncaught library message without the file's name.
TEST(DataReaders, NumberBeyondDoubleNamesTheFile) {
  for (const auto& [name, text] : {std::pair{"big.json", R"([{"instruction": 1e999, "output": "c"}])"},
                                   {"big.jsonl", "{\"text\": \"a\"}\n{\"text\": 1e999}\n"}}) {
    const std::string msg = input_error([&] { read_raw_dataset(write_scratch(name, text)); });
    EXPECT_NE(msg.find(name), std::string::npos) << msg;
    EXPECT_NE(msg.find("number overflow parsing '1e999'"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("json.exception"), std::string::npos) << msg;
  }
}

TEST(DataReaders, RecordThatIsNotAnObject) {
  const auto f = write_scratch("n.json", R"([{"text":"a"}, 7])");
  const std::string msg = input_error([&] { read_raw_dataset(f); });
  EXPECT_NE(msg.find("record 2 is a number"), std::string::npos) << msg;
}

TEST(DataReaders, CsvUnterminatedQuote) {
  const auto f = write_scratch("q.csv", "text\n\"open\nmore\n");
  const std::string msg = input_error([&] { read_raw_dataset(f); });
  EXPECT_NE(msg.find("unterminated quoted field starting at line 2"), std::string::npos) << msg;
}

TEST(DataReaders, CsvWrongFieldCount) {
  const auto f = write_scratch("c.csv", "instruction,output\na,b\nc\n");
  const std::string msg = input_error([&] { read_raw_dataset(f); });
  EXPECT_NE(msg.find("line 3 has 1 fields but the header has 2"), std::string::npos) << msg;
}

TEST(DataReaders, CsvStrayQuote) {
  const auto f = write_scratch("s.csv", "text\nab\"c\n");
  const std::string msg = input_error([&] { read_raw_dataset(f); });
  EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
}

TEST(DataReaders, InvalidUtf8NamesLineAndOffset) {
  const auto f = write_scratch("u.jsonl", "{\"text\":\"ok\"}\n{\"text\":\"bad \xC3\x28\"}\n");
  const std::string msg = input_error([&] { read_raw_dataset(f); });
  EXPECT_NE(msg.find("invalid UTF-8 at line 2"), std::string::npos) << msg;
}

TEST(DataReaders, OverlongAndSurrogateUtf8AreRejected) {
  EXPECT_THROW(check_utf8("f", "\xC0\xAF"), ft::Error);
  EXPECT_THROW(check_utf8("f", "\xED\xA0\x80"), ft::Error);
  EXPECT_NO_THROW(check_utf8("f", "caf\xC3\xA9 \xF0\x9F\x98\x80"));
}

TEST(DataReaders, EmptyDataset) {
  for (const char* name : {"e.json", "e.jsonl", "e.csv"}) {
    const std::string content = std::string(name) == "e.json" ? "[]" : std::string(name) == "e.csv" ? "text\n" : "\n";
    const auto f = write_scratch(name, content);
    const std::string msg = input_error([&] { read_raw_dataset(f); });
    EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
  }
}

TEST(DataReaders, MissingFileAndUnknownExtension) {
  EXPECT_NE(input_error([] { read_raw_dataset("/nonexistent/x.json"); }).find("no such data file"),
            std::string::npos);
  const auto f = write_scratch("x.parquet", "PAR1");
  EXPECT_NE(input_error([&] { read_raw_dataset(f); }).find("unsupported"), std::string::npos);
}

}  // namespace
}  // namespace ft::data
