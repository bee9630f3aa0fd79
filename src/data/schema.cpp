#include "data/schema.h"

#include "core/error.h"

namespace ft::data {

namespace {

std::string columns_of(const nlohmann::json& obj) {
  std::string s = "[";
  for (auto it = obj.begin(); it != obj.end(); ++it) s += (s.size() > 1 ? ", " : "") + it.key();
  return s + "]";
}

class RecordReader {
 public:
  RecordReader(const RawDataset& raw, size_t index)
      : raw_(raw), index_(index), obj_(raw.records[index].value) {}

  std::string required_string(const std::string& key, const std::string& flag) const {
    const auto it = obj_.find(key);
    if (it == obj_.end())
      fail(std::string("has no \"") + key + "\" column (columns found: " + columns_of(obj_) + ")" +
           (flag.empty() ? "" : "; name the column with " + flag));
    return string_value(*it, key);
  }

  std::string optional_string(const std::string& key) const {
    const auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return "";
    return string_value(*it, key);
  }

  std::string string_value(const nlohmann::json& v, const std::string& field) const {
    if (!v.is_string())
      fail("field \"" + field + "\" is " + std::string(v.type_name()) + ", expected a string");
    return v.get<std::string>();
  }

  const nlohmann::json& object() const { return obj_; }

  [[noreturn]] void fail(const std::string& what) const {
    fail_input(raw_.file, record_location(index_, raw_.records[index_]) + " " + what);
  }

 private:
  const RawDataset& raw_;
  size_t index_;
  const nlohmann::json& obj_;
};

std::vector<ChatMessage> read_messages(const RecordReader& r) {
  const nlohmann::json& list = r.object().at("messages");
  if (!list.is_array() || list.empty())
    r.fail("field \"messages\" must be a non-empty list of {\"role\", \"content\"} objects");
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& m = list[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object() || !m.contains("role") || !m.contains("content"))
      r.fail(where + " must be an object with \"role\" and \"content\"");
    ChatMessage msg;
    msg.role = r.string_value(m["role"], where + ".role");
    msg.content = r.string_value(m["content"], where + ".content");
    out.push_back(std::move(msg));
  }
  if (out.back().role != "assistant")
    r.fail("the last message has role \"" + out.back().role +
           "\"; chat records must end with the assistant reply that is trained on");
  return out;
}

RecordShape detect_shape(const RawDataset& raw, const ColumnNames& c) {
  const nlohmann::json& first = raw.records.front().value;
  if (first.contains("messages")) return RecordShape::kChat;
  if (first.contains(c.instruction) || first.contains(c.output)) return RecordShape::kInstruction;
  if (first.contains("text")) return RecordShape::kText;
  fail_input(raw.file, "cannot tell the record shape: columns found " + columns_of(first) +
                           "; expected \"" + c.instruction + "\"/\"" + c.input + "\"/\"" +
                           c.output +
                           "\" (rename with --instruction_column_name, --input_column_name, "
                           "--output_column_name), \"messages\" or \"text\"");
}

}  // namespace

const char* shape_name(RecordShape shape) {
  switch (shape) {
    case RecordShape::kInstruction: return "instruction";
    case RecordShape::kChat: return "chat";
    case RecordShape::kText: return "text";
  }
  return "?";
}

Records apply_schema(const RawDataset& raw, const ColumnNames& c) {
  Records out;
  out.shape = detect_shape(raw, c);
  out.items.reserve(raw.records.size());
  for (size_t i = 0; i < raw.records.size(); ++i) {
    const RecordReader r(raw, i);
    Record rec;
    switch (out.shape) {
      case RecordShape::kInstruction:
        rec.instruction = r.required_string(c.instruction, "--instruction_column_name");
        rec.input = r.optional_string(c.input);
        rec.output = r.required_string(c.output, "--output_column_name");
        break;
      case RecordShape::kChat:
        if (!r.object().contains("messages"))
          r.fail("has no \"messages\" column (columns found: " + columns_of(r.object()) + ")");
        rec.messages = read_messages(r);
        break;
      case RecordShape::kText: rec.text = r.required_string("text", ""); break;
    }
    out.items.push_back(std::move(rec));
  }
  switch (out.shape) {
    case RecordShape::kInstruction:
      out.description = "instruction records (columns \"" + c.instruction + "\", \"" + c.input +
                        "\", \"" + c.output + "\")";
      break;
    case RecordShape::kChat: out.description = "chat records (column \"messages\")"; break;
    case RecordShape::kText: out.description = "plain text records (column \"text\")"; break;
  }
  return out;
}

}  // namespace ft::data
