// Prompt formats: turn one training example into the prompt text (masked from the loss unless
// --train_on_inputs) and the response text (trained). alpaca and llama2-chat follow the reference
// finetune workflow; chat-template renders the model's own Jinja chat template; text trains on all.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "text/chat_template.h"

namespace ft {

enum class PromptFormat { kAlpaca, kLlama2Chat, kChatTemplate, kText };

// "alpaca" | "llama2-chat" | "chat-template" | "text"; anything else throws ft::Error (exit 1).
PromptFormat parse_prompt_format(std::string_view name);
const char* prompt_format_name(PromptFormat format);
// The reference workflow's choice: llama2-chat when the model name contains "chat", else alpaca.
PromptFormat default_instruction_format(std::string_view model_name_or_path);

inline constexpr const char* kDefaultPromptWithInput =
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.";
inline constexpr const char* kDefaultPromptWithoutInput =
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.";

struct SystemPrompts {
  std::string with_input = kDefaultPromptWithInput;
  std::string without_input = kDefaultPromptWithoutInput;
};

// prompt + response is the full example text. The caller tokenizes with parse_special; when
// `add_special_tokens` is false the text already carries its BOS (llama2-chat's literal <s>, or
// the chat template's bos_token) and the tokenizer must not add another.
struct FormattedExample {
  std::string prompt;
  std::string response;
  bool add_special_tokens = true;
};

// alpaca or llama2-chat for an instruction record.
FormattedExample format_instruction(PromptFormat format, const SystemPrompts& system,
                                    const std::string& instruction, const std::string& input,
                                    const std::string& output);

struct ChatTemplateSource {
  std::string source;  // the Jinja template
  std::string bos_token, eos_token;
  std::string name_for_errors;  // e.g. "<model>/tokenizer_config.json"
};

// The conversation's last message is the assistant reply. The prompt is the template rendered for
// the earlier messages with add_generation_prompt; the response is what the full rendering adds
// after it. Throws ft::Error (exit 2) when the template's output for the prompt is not a prefix of
// the full conversation (such templates cannot be split into prompt and reply).
FormattedExample format_chat(const ChatTemplateSource& tmpl, const std::vector<ChatMessage>& messages);

// An instruction record as a conversation: [system] user (instruction, then input after a blank
// line when present), assistant (output). `system_prompt` empty = no system message.
std::vector<ChatMessage> instruction_as_chat(const std::string& system_prompt,
                                             const std::string& instruction,
                                             const std::string& input, const std::string& output);

inline FormattedExample format_text(const std::string& text) { return {"", text, true}; }

}  // namespace ft
