// Reading a dataset file into raw records (JSON objects) before any schema is applied.
// Format by extension: .json (a JSON array of objects; JSON Lines content is sniffed and accepted),
// .jsonl, .csv (RFC 4180 with a header row; every field becomes a string). Bad files throw
// ft::Error (exit 2) with one line naming the file, the line or record number and what is wrong.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ft::data {

struct RawRecord {
  nlohmann::json value;  // an object
  size_t line = 0;       // 1-based line where the record starts, 0 when unknown
};

struct RawDataset {
  std::string file;
  std::string format;  // "json", "jsonl" or "csv", as detected
  std::vector<RawRecord> records;
};

RawDataset read_raw_dataset(const std::string& path);

// Parsers over in-memory text, used by read_raw_dataset; `file` only names the source in errors.
std::vector<RawRecord> parse_json_array(const std::string& file, const std::string& text);
std::vector<RawRecord> parse_json_lines(const std::string& file, const std::string& text);
std::vector<RawRecord> parse_csv(const std::string& file, const std::string& text);

// Throws naming the line and byte offset of the first invalid UTF-8 sequence.
void check_utf8(const std::string& file, const std::string& text);

// "record 12 (line 340)" / "record 12": where a record is, for error messages.
std::string record_location(size_t index, const RawRecord& r);

}  // namespace ft::data
