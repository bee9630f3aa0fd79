// Renders a Hugging Face chat template (the Jinja `chat_template` string of tokenizer_config.json)
// for a conversation, producing exactly the text that transformers' `apply_chat_template(...,
// tokenize=False)` produces: jinja2 with trim_blocks, lstrip_blocks and loop controls, plus the
// globals `raise_exception` and `strftime_now` and transformers' `tojson` filter.
// Template variables, as transformers passes them: `messages`, `tools` (None when absent),
// `documents` (None), `add_generation_prompt`, `bos_token`, `eos_token` and every key of `extra`
// (e.g. `enable_thinking`).
// Errors (syntax, unknown filter, `raise_exception('...')`, runaway recursion or loops) throw
// ft::Error (exit code 2) with one line: `<source_name>: chat template line N: <what>`.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ft {

struct ChatMessage {
  std::string role;
  std::string content;
  // Optional extras; a null value means the key is absent from the message (`is defined` false).
  nlohmann::ordered_json reasoning_content;  // string or null
  nlohmann::ordered_json tool_calls;         // list of {"type","function":{"name","arguments"}}
  nlohmann::ordered_json extra;              // object of any further keys, or null
};

struct ChatTemplateInputs {
  std::vector<ChatMessage> messages;
  bool add_generation_prompt = false;
  std::string bos_token;
  std::string eos_token;
  // ordered_json keeps key order as written, as Python dicts do; `tojson` output depends on it.
  nlohmann::ordered_json tools;  // null = no tools
  nlohmann::ordered_json extra;  // object of further template variables, or null
};

namespace jinja {
struct Stmt;
}

// A template parsed once and rendered many times (one per training record). Copies share the
// parsed form; rendering is const and may run concurrently from several threads.
class ChatTemplate {
 public:
  // Throws ft::Error naming `source_name_for_errors` and the line on a syntax error.
  ChatTemplate(const std::string& template_source, std::string source_name_for_errors);
  std::string render(const ChatTemplateInputs& inputs) const;
  // `context`: a JSON object whose keys are exactly the template variables.
  std::string render_json(const nlohmann::ordered_json& context) const;

 private:
  std::shared_ptr<const std::vector<std::unique_ptr<jinja::Stmt>>> program_;
  std::string source_name_;
};

// One-shot forms of the above. `source_name_for_errors` names where the template came from (e.g.
// a tokenizer_config.json path).
std::string render_chat_template(const std::string& template_source, const ChatTemplateInputs& inputs,
                                 const std::string& source_name_for_errors);

// The same, with the context given as a JSON object holding exactly the template variables
// (nothing is added); for callers that already hold messages as JSON.
std::string render_chat_template_json(const std::string& template_source,
                                      const nlohmann::ordered_json& context,
                                      const std::string& source_name_for_errors);

}  // namespace ft
