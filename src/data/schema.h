// Schema detection: decides whether raw records are instruction/input/output, chat (`messages`: a
// list of {role, content}) or plain `text`, and converts them to typed records. Missing columns
// and wrong field types throw ft::Error (exit 2) naming the file, the record and the columns found.
#pragma once
#include <string>
#include <vector>

#include "data/raw_records.h"
#include "text/chat_template.h"

namespace ft::data {

enum class RecordShape { kInstruction, kChat, kText };
const char* shape_name(RecordShape shape);

struct ColumnNames {
  std::string instruction = "instruction";
  std::string input = "input";  // optional per record: missing or null reads as ""
  std::string output = "output";
};

struct Record {
  std::string instruction, input, output;  // kInstruction
  std::vector<ChatMessage> messages;       // kChat; the last message is the assistant's reply
  std::string text;                        // kText
};

struct Records {
  RecordShape shape = RecordShape::kInstruction;
  std::string description;  // one line saying which shape was detected and from which columns
  std::vector<Record> items;
};

Records apply_schema(const RawDataset& raw, const ColumnNames& columns);

}  // namespace ft::data
