// One Jinja construct per template (literals, operators, filters, tests, methods, loops, macros,
// whitespace control), each compared with what jinja2 as transformers configures it renders
// (fixtures from tools/gen_chat_template_fixtures.py).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "test_support.h"
#include "text/chat_template.h"

namespace {

TEST(JinjaSnippets, MatchReferenceRenderer) {
  const auto fixture = nlohmann::ordered_json::parse(
      ft::test::read_file(ft::test::fixtures_dir() / "chat_templates" / "snippets.json"));
  const auto& context = fixture.at("context");
  int checked = 0;
  for (const auto& c : fixture.at("cases")) {
    const std::string source = c.at("template").get<std::string>();
    SCOPED_TRACE(source);
    if (c.contains("error")) {
      EXPECT_THROW(ft::render_chat_template_json(source, context, "snippet"), ft::Error) << c.at("error");
    } else {
      try {
        EXPECT_EQ(ft::render_chat_template_json(source, context, "snippet"), c.at("expected").get<std::string>());
      } catch (const ft::Error& e) {
        ADD_FAILURE() << e.what();
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 30);
}

}  // namespace
