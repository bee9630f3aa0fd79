// Whole chat templates (Llama 3, Qwen3 with tools and thinking, Llama 2-chat, Mistral-Instruct,
// SmolLM2) rendered on several conversations and compared byte for byte with transformers'
// renderer (fixtures from tools/gen_chat_template_fixtures.py).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "test_support.h"
#include "text/chat_template.h"

namespace {

using nlohmann::ordered_json;

ordered_json load_conversations() {
  return ordered_json::parse(ft::test::read_file(ft::test::fixtures_dir() / "chat_templates" / "conversations.json"));
}

std::string template_path(const std::string& name) {
  const std::string shared_prefix = "shared:";
  if (name.rfind(shared_prefix, 0) == 0) return (ft::test::shared_dir() / name.substr(shared_prefix.size())).string();
  return (ft::test::fixtures_dir() / "chat_templates" / name).string();
}

std::string template_source(const std::string& name) {
  const std::string text = ft::test::read_file(template_path(name));
  if (name.rfind("shared:", 0) == 0) return ordered_json::parse(text).at("chat_template").get<std::string>();
  return text;
}

ft::ChatTemplateInputs to_inputs(const ordered_json& in) {
  ft::ChatTemplateInputs inputs;
  for (const auto& m : in.at("messages")) {
    ft::ChatMessage msg;
    for (const auto& [key, value] : m.items()) {
      if (key == "role") msg.role = value.get<std::string>();
      else if (key == "content") msg.content = value.get<std::string>();
      else if (key == "reasoning_content") msg.reasoning_content = value;
      else if (key == "tool_calls") msg.tool_calls = value;
      else msg.extra[key] = value;
    }
    inputs.messages.push_back(std::move(msg));
  }
  inputs.add_generation_prompt = in.at("add_generation_prompt").get<bool>();
  inputs.bos_token = in.at("bos_token").get<std::string>();
  inputs.eos_token = in.at("eos_token").get<std::string>();
  inputs.tools = in.at("tools");
  inputs.extra = in.at("extra");
  return inputs;
}

// Checks every fixture record whose template is (shared = true) or is not (false) from ../shared.
void check_records(bool shared) {
  int checked = 0;
  std::map<std::string, ft::ChatTemplate> templates;
  for (const auto& record : load_conversations()) {
    const std::string name = record.at("template").get<std::string>();
    if ((name.rfind("shared:", 0) == 0) != shared) continue;
    SCOPED_TRACE(name + " case " + record.at("inputs").dump().substr(0, 200));
    if (!templates.count(name)) templates.emplace(name, ft::ChatTemplate(template_source(name), template_path(name)));
    const ft::ChatTemplate& tmpl = templates.at(name);
    const ft::ChatTemplateInputs inputs = to_inputs(record.at("inputs"));
    if (record.contains("error")) {
      try {
        tmpl.render(inputs);
        ADD_FAILURE() << "expected the template to raise: " << record.at("error");
      } catch (const ft::Error& e) {
        EXPECT_EQ(e.exit_code(), ft::kExitBadInput);
        EXPECT_NE(std::string(e.what()).find(record.at("error").get<std::string>()), std::string::npos) << e.what();
      }
    } else {
      EXPECT_EQ(tmpl.render(inputs), record.at("expected").get<std::string>());
    }
    ++checked;
  }
  EXPECT_GT(checked, 10);
}

TEST(ChatTemplate, MatchesReferenceForBundledTemplates) { check_records(false); }

TEST(ChatTemplate, MatchesReferenceForSharedTemplates) {
  FT_REQUIRE_SHARED();
  check_records(true);
}

TEST(ChatTemplate, RaiseExceptionNamesSourceAndLine) {
  const std::string source = "{% if messages|length > 1 %}\n\n{{ raise_exception('only one message, please') }}{% endif %}";
  ft::ChatTemplateInputs in;
  in.messages = {{"user", "a", {}, {}, {}}, {"user", "b", {}, {}, {}}};
  try {
    ft::render_chat_template(source, in, "model/tokenizer_config.json");
    FAIL() << "expected ft::Error";
  } catch (const ft::Error& e) {
    EXPECT_EQ(e.exit_code(), ft::kExitBadInput);
    EXPECT_STREQ(e.what(), "model/tokenizer_config.json: chat template line 3: only one message, please");
  }
  in.messages.pop_back();
  EXPECT_EQ(ft::render_chat_template(source, in, "x"), "");
}

TEST(ChatTemplate, SyntaxErrorIsReportedWhenParsing) {
  try {
    ft::ChatTemplate("ok\n{% for m in messages %}\n{{ m.content }", "cfg.json");
    FAIL() << "expected ft::Error";
  } catch (const ft::Error& e) {
    EXPECT_EQ(e.exit_code(), ft::kExitBadInput);
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("cfg.json: chat template line 3: ", 0), 0u) << what;
  }
}

TEST(ChatTemplate, PassesToolsDocumentsAndExtraVariables) {
  const ft::ChatTemplate tmpl(
      "{{ tools is none }} {{ documents is none }} {{ flag }} {{ messages[0].name }} "
      "{{ messages[0].reasoning_content is defined }} {{ tools|tojson if tools }}",
      "inline");
  ft::ChatTemplateInputs in;
  in.messages = {{"user", "hi", {}, {}, {{"name", "ann"}}}};
  in.extra = {{"flag", 3}};
  EXPECT_EQ(tmpl.render(in), "True True 3 ann False ");
  in.tools = nlohmann::ordered_json::parse(R"([{"z": 1, "a": "é"}])");
  in.messages[0].reasoning_content = "r";
  EXPECT_EQ(tmpl.render(in), "False True 3 ann True [{\"z\": 1, \"a\": \"é\"}]");
}

}  // namespace
