#include "text/chat_template.h"

#include "core/error.h"
#include "text/jinja_interpreter.h"
#include "text/jinja_parser.h"

namespace ft {
namespace {

[[noreturn]] void fail_template(const std::string& source_name, const jinja::TemplateError& e) {
  const std::string where = e.line() > 0 ? "chat template line " + std::to_string(e.line()) : "chat template";
  fail_input(source_name, where + ": " + e.what());
}

nlohmann::ordered_json message_json(const ChatMessage& m) {
  nlohmann::ordered_json j = {{"role", m.role}, {"content", m.content}};
  if (!m.reasoning_content.is_null()) j["reasoning_content"] = m.reasoning_content;
  if (!m.tool_calls.is_null()) j["tool_calls"] = m.tool_calls;
  if (m.extra.is_object())
    for (const auto& [k, v] : m.extra.items()) j[k] = v;
  return j;
}

// The keyword arguments transformers' apply_chat_template passes to the template.
nlohmann::ordered_json context_json(const ChatTemplateInputs& in) {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  for (const ChatMessage& m : in.messages) messages.push_back(message_json(m));
  nlohmann::ordered_json ctx = {{"messages", std::move(messages)},
                                {"tools", in.tools},
                                {"documents", nullptr},
                                {"add_generation_prompt", in.add_generation_prompt},
                                {"bos_token", in.bos_token},
                                {"eos_token", in.eos_token}};
  if (in.extra.is_object())
    for (const auto& [k, v] : in.extra.items()) ctx[k] = v;
  return ctx;
}

}  // namespace

ChatTemplate::ChatTemplate(const std::string& template_source, std::string source_name_for_errors)
    : source_name_(std::move(source_name_for_errors)) {
  try {
    program_ = std::make_shared<const jinja::Body>(jinja::parse_template(template_source));
  } catch (const jinja::TemplateError& e) {
    fail_template(source_name_, e);
  }
}

std::string ChatTemplate::render_json(const nlohmann::ordered_json& context) const {
  if (!context.is_object()) fail_input(source_name_, "chat template context must be a JSON object");
  try {
    const jinja::Value vars = jinja::Value::from_json(context);
    return jinja::render(*program_, vars.as_dict());
  } catch (const jinja::TemplateError& e) {
    fail_template(source_name_, e);
  }
}

std::string ChatTemplate::render(const ChatTemplateInputs& inputs) const {
  return render_json(context_json(inputs));
}

std::string render_chat_template(const std::string& template_source, const ChatTemplateInputs& inputs,
                                 const std::string& source_name_for_errors) {
  return ChatTemplate(template_source, source_name_for_errors).render(inputs);
}

std::string render_chat_template_json(const std::string& template_source,
                                      const nlohmann::ordered_json& context,
                                      const std::string& source_name_for_errors) {
  return ChatTemplate(template_source, source_name_for_errors).render_json(context);
}

}  // namespace ft
