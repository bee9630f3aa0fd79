#include "data/raw_records.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace ft::data {

namespace {

std::string read_whole_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    fail_input(path, "no such data file; check --train_file / --validation_file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input(path, "cannot open the data file for reading; check its permissions");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // a UTF-8 byte-order mark
  return text;
}

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// A .json file holding JSON Lines: its first value is an object and another value follows it on a
// later line. A single (possibly multi-line) object or an array parses as ordinary JSON.
bool looks_like_json_lines(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '{') return false;
  return !nlohmann::json::accept(text);
}

}  // namespace

RawDataset read_raw_dataset(const std::string& path) {
  const std::string ext = lower_extension(path);
  if (ext != ".json" && ext != ".jsonl" && ext != ".csv")
    fail_input(path, "unsupported data file extension \"" + ext +
                         "\"; use .json (array of records), .jsonl (JSON Lines) or .csv");
  const std::string text = read_whole_file(path);
  check_utf8(path, text);
  RawDataset ds;
  ds.file = path;
  if (ext == ".csv") {
    ds.format = "csv";
    ds.records = parse_csv(path, text);
  } else if (ext == ".jsonl" || looks_like_json_lines(text)) {
    ds.format = "jsonl";
    ds.records = parse_json_lines(path, text);
  } else {
    ds.format = "json";
    ds.records = parse_json_array(path, text);
  }
  if (ds.records.empty()) fail_input(path, "the dataset is empty: no records found");
  return ds;
}

}  // namespace ft::data
