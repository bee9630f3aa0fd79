// Prompt formats (src/text/prompt_format.h): the exact alpaca and llama2-chat texts, the default
// choice by model name, and chat-template splitting into prompt and reply.
#include <gtest/gtest.h>

#include "core/error.h"
#include "text/prompt_format.h"

namespace ft {
namespace {

TEST(DataPromptFormat, AlpacaWithAndWithoutInput) {
  const SystemPrompts sys;
  const auto with = format_instruction(PromptFormat::kAlpaca, sys, "Do X", "ctx", "done");
  EXPECT_EQ(with.prompt, std::string(kDefaultPromptWithInput) +
                             "\n\n### Instruction:\nDo X\n\n### Input:\nctx\n\n### Response:\n");
  EXPECT_EQ(with.response, "done");
  EXPECT_TRUE(with.add_special_tokens);
  const auto without = format_instruction(PromptFormat::kAlpaca, sys, "Do X", "", "done");
  EXPECT_EQ(without.prompt + without.response,
            std::string(kDefaultPromptWithoutInput) + "\n\n### Instruction:\nDo X\n\n### Response:\ndone");
}

TEST(DataPromptFormat, CustomSystemPrompts) {
  SystemPrompts sys;
  sys.with_input = "SYS-IN";
  sys.without_input = "SYS-NOIN";
  EXPECT_EQ(format_instruction(PromptFormat::kAlpaca, sys, "a", "b", "c").prompt.rfind("SYS-IN\n\n", 0), 0u);
  EXPECT_EQ(format_instruction(PromptFormat::kAlpaca, sys, "a", "", "c").prompt.rfind("SYS-NOIN\n\n", 0), 0u);
}

TEST(DataPromptFormat, Llama2Chat) {
  SystemPrompts sys;
  sys.with_input = "S";
  sys.without_input = "T";
  const auto with = format_instruction(PromptFormat::kLlama2Chat, sys, "inst", "in", "out");
  EXPECT_EQ(with.prompt + with.response, "<s>[INST] <<SYS>>\nS<</SYS>>\n\ninst in [/INST] out </s>");
  EXPECT_EQ(with.prompt, "<s>[INST] <<SYS>>\nS<</SYS>>\n\ninst in [/INST]");
  EXPECT_FALSE(with.add_special_tokens);
  const auto without = format_instruction(PromptFormat::kLlama2Chat, sys, "inst", "", "out");
  EXPECT_EQ(without.prompt + without.response, "<s>[INST] <<SYS>>\nT<</SYS>>\n\ninst [/INST] out </s>");
}

TEST(DataPromptFormat, DefaultFollowsModelName) {
  EXPECT_EQ(default_instruction_format("meta-llama/Llama-2-7b-chat-hf"), PromptFormat::kLlama2Chat);
  EXPECT_EQ(default_instruction_format("meta-llama/Llama-2-7b-hf"), PromptFormat::kAlpaca);
}

TEST(DataPromptFormat, ParseNames) {
  for (const char* name : {"alpaca", "llama2-chat", "chat-template", "text"})
    EXPECT_STREQ(prompt_format_name(parse_prompt_format(name)), name);
  try {
    parse_prompt_format("vicuna");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("--prompt_format"), std::string::npos);
  }
}

TEST(DataPromptFormat, ChatTemplateSplitsPromptAndReply) {
  ChatTemplateSource t;
  t.source =
      "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
      "{% if add_generation_prompt %}<|assistant|>{% endif %}";
  t.bos_token = "<s>";
  t.name_for_errors = "tpl";
  const auto msgs = instruction_as_chat("be brief", "Do X", "ctx", "done");
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[1].content, "Do X\n\nctx");
  const auto ex = format_chat(t, msgs);
  EXPECT_EQ(ex.prompt, "<s><|system|>be brief<|end|><|user|>Do X\n\nctx<|end|><|assistant|>");
  EXPECT_EQ(ex.response, "done<|end|>");
  EXPECT_FALSE(ex.add_special_tokens);
}

TEST(DataPromptFormat, ChatTemplateWhosePromptIsNotAPrefix) {
  ChatTemplateSource t;
  t.source = "{% for m in messages %}{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}?{% endif %}";
  t.name_for_errors = "tpl";
  try {
    format_chat(t, instruction_as_chat("", "a", "", "b"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_NE(std::string(e.what()).find("not a prefix"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ft
