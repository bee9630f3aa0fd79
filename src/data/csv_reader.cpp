// RFC 4180 CSV parsing into raw records (declared in data/raw_records.h): a header row names the
// columns; fields may be quoted, with "" for a quote and line breaks inside quotes; CRLF or LF.
#include <string>
#include <vector>

#include "core/error.h"
#include "data/raw_records.h"

namespace ft::data {

namespace {

struct CsvRow {
  std::vector<std::string> fields;
  size_t line = 0;  // where the row starts
};

class CsvParser {
 public:
  CsvParser(const std::string& file, const std::string& text) : file_(file), text_(text) {}

  // Reads the next row; false at end of input. Blank lines are skipped.
  bool next(CsvRow& row) {
    while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    if (pos_ >= text_.size()) return false;
    row.fields.clear();
    row.line = line_;
    for (;;) {
      row.fields.push_back(field());
      if (pos_ >= text_.size()) return true;
      const char c = text_[pos_++];
      if (c == ',') continue;
      if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
      ++line_;
      return true;
    }
  }

 private:
  std::string field() {
    std::string out;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      const size_t open_line = line_;
      ++pos_;
      for (;;) {
        if (pos_ >= text_.size())
          fail_input(file_, "unterminated quoted field starting at line " +
                                std::to_string(open_line) + "; close it with a \"");
        const char c = text_[pos_++];
        if (c == '"') {
          if (pos_ < text_.size() && text_[pos_] == '"') {
            out += '"';
            ++pos_;
            continue;
          }
          break;
        }
        if (c == '\n') ++line_;
        out += c;
      }
      if (pos_ < text_.size() && !is_delimiter(text_[pos_]))
        fail_input(file_, "unexpected text after a closing quote at line " + std::to_string(line_) +
                              "; a quote inside a quoted field is written \"\"");
      return out;
    }
    while (pos_ < text_.size() && !is_delimiter(text_[pos_])) {
      if (text_[pos_] == '"')
        fail_input(file_, "a quote inside an unquoted field at line " + std::to_string(line_) +
                              "; quote the whole field and write the quote as \"\"");
      out += text_[pos_++];
    }
    return out;
  }

  static bool is_delimiter(char c) { return c == ',' || c == '\n' || c == '\r'; }

  const std::string& file_;
  const std::string& text_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

}  // namespace

std::vector<RawRecord> parse_csv(const std::string& file, const std::string& text) {
  CsvParser parser(file, text);
  CsvRow header;
  if (!parser.next(header)) return {};
  for (size_t i = 0; i < header.fields.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (header.fields[i] == header.fields[j])
        fail_input(file, "the header row names column \"" + header.fields[i] + "\" twice");
  std::vector<RawRecord> out;
  CsvRow row;
  while (parser.next(row)) {
    if (row.fields.size() != header.fields.size())
      fail_input(file, "line " + std::to_string(row.line) + " has " +
                           std::to_string(row.fields.size()) + " fields but the header has " +
                           std::to_string(header.fields.size()));
    nlohmann::json obj = nlohmann::json::object();
    for (size_t i = 0; i < row.fields.size(); ++i) obj[header.fields[i]] = std::move(row.fields[i]);
    out.push_back({std::move(obj), row.line});
  }
  return out;
}

}  // namespace ft::data
