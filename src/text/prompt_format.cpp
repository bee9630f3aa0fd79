#include "text/prompt_format.h"

#include "core/error.h"

namespace ft {

PromptFormat parse_prompt_format(std::string_view name) {
  if (name == "alpaca") return PromptFormat::kAlpaca;
  if (name == "llama2-chat") return PromptFormat::kLlama2Chat;
  if (name == "chat-template") return PromptFormat::kChatTemplate;
  if (name == "text") return PromptFormat::kText;
  fail_usage("--prompt_format \"" + std::string(name) +
             "\" is not known; use alpaca, llama2-chat, chat-template or text");
}

const char* prompt_format_name(PromptFormat format) {
  switch (format) {
    case PromptFormat::kAlpaca: return "alpaca";
    case PromptFormat::kLlama2Chat: return "llama2-chat";
    case PromptFormat::kChatTemplate: return "chat-template";
    case PromptFormat::kText: return "text";
  }
  return "?";
}

PromptFormat default_instruction_format(std::string_view model_name_or_path) {
  return model_name_or_path.find("chat") != std::string_view::npos ? PromptFormat::kLlama2Chat
                                                                   : PromptFormat::kAlpaca;
}

FormattedExample format_instruction(PromptFormat format, const SystemPrompts& system,
                                    const std::string& instruction, const std::string& input,
                                    const std::string& output) {
  const bool has_input = !input.empty();
  const std::string& sys = has_input ? system.with_input : system.without_input;
  FormattedExample ex;
  switch (format) {
    case PromptFormat::kAlpaca:
      ex.prompt = sys + "\n\n### Instruction:\n" + instruction + "\n\n";
      if (has_input) ex.prompt += "### Input:\n" + input + "\n\n";
      ex.prompt += "### Response:\n";
      ex.response = output;
      return ex;
    case PromptFormat::kLlama2Chat:
      // The space before the reply belongs to the response: SentencePiece merges it into the
      // reply's first token, so a prompt ending in a space would not tokenize as a prefix.
      ex.prompt = "<s>[INST] <<SYS>>\n" + sys + "<</SYS>>\n\n" + instruction;
      if (has_input) ex.prompt += " " + input;
      ex.prompt += " [/INST]";
      ex.response = " " + output + " </s>";
      ex.add_special_tokens = false;
      return ex;
    case PromptFormat::kChatTemplate:
    case PromptFormat::kText: break;
  }
  fail_usage(std::string("internal: format_instruction called for --prompt_format ") +
             prompt_format_name(format));
}

FormattedExample format_chat(const ChatTemplateSource& tmpl, const std::vector<ChatMessage>& messages) {
  ChatTemplateInputs in;
  in.bos_token = tmpl.bos_token;
  in.eos_token = tmpl.eos_token;
  in.messages = messages;
  const std::string full = render_chat_template(tmpl.source, in, tmpl.name_for_errors);
  in.messages.pop_back();
  in.add_generation_prompt = true;
  const std::string prompt = render_chat_template(tmpl.source, in, tmpl.name_for_errors);
  if (full.compare(0, prompt.size(), prompt) != 0)
    fail_input(tmpl.name_for_errors,
               "the chat template's rendering of the prompt is not a prefix of the full "
               "conversation, so the reply cannot be separated; use --prompt_format alpaca or "
               "llama2-chat");
  // The rendered template carries its own BOS text, as transformers' apply_chat_template does.
  return {prompt, full.substr(prompt.size()), false};
}

std::vector<ChatMessage> instruction_as_chat(const std::string& system_prompt,
                                             const std::string& instruction,
                                             const std::string& input, const std::string& output) {
  std::vector<ChatMessage> msgs;
  const auto add = [&](const char* role, std::string content) {
    ChatMessage m;
    m.role = role;
    m.content = std::move(content);
    msgs.push_back(std::move(m));
  };
  if (!system_prompt.empty()) add("system", system_prompt);
  add("user", input.empty() ? instruction : instruction + "\n\n" + input);
  add("assistant", output);
  return msgs;
}

}  // namespace ft
