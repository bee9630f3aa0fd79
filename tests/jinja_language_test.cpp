// The Jinja engine's own contract: error messages with template lines, and the limits that stop a
// hostile template (deep nesting, endless loops, runaway recursion, huge ranges and strings).
// Rendering semantics are compared with jinja2 in jinja_snippets_test / chat_template_test.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "text/chat_template.h"
#include "text/jinja_interpreter.h"
#include "text/jinja_parser.h"
#include "text/jinja_strings.h"

namespace {

// Renders `source` with no variables; returns the ft::Error message, or "" when it rendered.
std::string error_of(const std::string& source) {
  try {
    ft::render_chat_template_json(source, nlohmann::ordered_json::object(), "tpl.json");
  } catch (const ft::Error& e) {
    EXPECT_EQ(e.exit_code(), ft::kExitBadInput);
    return e.what();
  }
  return "";
}

std::string render(const std::string& source) {
  return ft::render_chat_template_json(source, nlohmann::ordered_json::object(), "tpl.json");
}

TEST(JinjaLanguage, RuntimeErrorsNameTheLine) {
  EXPECT_EQ(error_of("a\n{{ 'x'|nope }}"), "tpl.json: chat template line 2: No filter named 'nope'.");
  EXPECT_EQ(error_of("\n\n{% if 1 is nope %}{% endif %}"), "tpl.json: chat template line 3: No test named 'nope'.");
  EXPECT_EQ(error_of("{% for m in x %}\n{{ m }}{% endfor %}\n{{ foo.bar }}"),
            "tpl.json: chat template line 3: 'foo' is undefined");
  EXPECT_EQ(error_of("{{ 1 + 'a' }}"),
            "tpl.json: chat template line 1: unsupported operand type(s) for +: 'int' and 'str'");
  EXPECT_EQ(error_of("{% set x = 1 %}\n{% set x.y = 2 %}"),
            "tpl.json: chat template line 2: cannot assign attribute on non-namespace object 'x'");
  EXPECT_EQ(error_of("{{ raise_exception('Roles must alternate') }}"),
            "tpl.json: chat template line 1: Roles must alternate");
}

TEST(JinjaLanguage, SyntaxErrorsNameTheLine) {
  EXPECT_EQ(error_of("{% if x %}\nunclosed"), "tpl.json: chat template line 2: unexpected end of template, expected 'endif'");
  EXPECT_EQ(error_of("\n{% include 'x' %}"), "tpl.json: chat template line 2: Encountered unknown or unsupported tag 'include'");
  EXPECT_EQ(error_of("{{ 'abc }}"), "tpl.json: chat template line 1: unterminated string literal");
  EXPECT_EQ(error_of("x\n{{ 1 + }}"), "tpl.json: chat template line 2: unexpected end of print statement");
  EXPECT_EQ(error_of("{% break %}"), "tpl.json: chat template line 1: 'break' outside of a loop");
  EXPECT_EQ(error_of("{# never closed"), "tpl.json: chat template line 1: unterminated comment");
  EXPECT_EQ(error_of("{% endfor %}"), "tpl.json: chat template line 1: Encountered unknown or unsupported tag 'endfor'");
}

TEST(JinjaLanguage, DeepNestingIsRefusedNotACrash) {
  const int depth = 3000;
  const std::string parens = std::string(depth, '(') + "1" + std::string(depth, ')');
  EXPECT_NE(error_of("{{ " + parens + " }}").find("nesting is deeper than"), std::string::npos);
  std::string ifs;
  for (int i = 0; i < depth; ++i) ifs += "{% if true %}";
  EXPECT_NE(error_of(ifs).find("nesting is deeper than"), std::string::npos);
  EXPECT_NE(error_of("{{ " + std::string(depth, '-') + "1 }}").find("nesting is deeper than"), std::string::npos);
  EXPECT_NE(error_of("{{ " + std::string(depth, '[') + std::string(depth, ']') + " }}").find("nesting is deeper than"),
            std::string::npos);
  std::string chain = "{{ 1";
  for (int i = 0; i < depth; ++i) chain += "+1";
  EXPECT_NE(error_of(chain + " }}").find("nesting is deeper than"), std::string::npos);
  std::string filters = "{{ 'x'";
  for (int i = 0; i < depth; ++i) filters += "|trim";
  EXPECT_NE(error_of(filters + " }}").find("nesting is deeper than"), std::string::npos);
  const std::string nested(ft::jinja::kMaxNesting / 4, '(');
  EXPECT_EQ(render("{{ " + nested + "7" + std::string(nested.size(), ')') + " }}"), "7");
}

TEST(JinjaLanguage, LoopIterationsAreLimited) {
  const auto program = ft::jinja::parse_template(
      "{% for i in range(30) %}{% for j in range(30) %}.{% endfor %}{% endfor %}");
  ft::jinja::RenderLimits limits;
  limits.max_loop_iterations = 500;
  try {
    ft::jinja::render(program, {}, limits);
    FAIL() << "expected the iteration limit to stop the loops";
  } catch (const ft::jinja::TemplateError& e) {
    EXPECT_EQ(e.line(), 1);
    EXPECT_NE(std::string(e.what()).find("more than 500 loop iterations"), std::string::npos) << e.what();
  }
  limits.max_loop_iterations = 30 + 30 * 30;
  EXPECT_EQ(ft::jinja::render(program, {}, limits).size(), 900u);
}

TEST(JinjaLanguage, RunawayRecursionRangesAndStringsAreRefused) {
  EXPECT_NE(error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").find("nested deeper than"),
            std::string::npos);
  EXPECT_NE(error_of("{{ range(1000000)|length }}").find("range too big"), std::string::npos);
  EXPECT_NE(error_of("{{ 'x' * 10**12 }}").find("too large"), std::string::npos);
  EXPECT_NE(error_of("{{ 2 ** 200 }}").find("integer overflow"), std::string::npos);
  const auto program = ft::jinja::parse_template("{% for i in range(1000) %}0123456789{% endfor %}");
  ft::jinja::RenderLimits limits;
  limits.max_output_bytes = 5000;
  EXPECT_THROW(ft::jinja::render(program, {}, limits), ft::jinja::TemplateError);
}

// A string doubled in a loop (by + or by replace) grew to gigabytes until std::bad_alloc or the
// test's time limit: only `*` was bounded. (Checked against a 64 Ki limit; the default is 2^28.)
TEST(JinjaLanguage, StringsGrownInLoopsAreRefused) {
  ft::jinja::RenderLimits limits;
  limits.max_sequence_length = size_t{1} << 16;
  const auto refusal = [&](const std::string& source) {
    try {
      ft::jinja::render(ft::jinja::parse_template(source), {}, limits);
    } catch (const ft::jinja::TemplateError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  for (const char* grow : {"{% set ns.s = ns.s + ns.s %}", "{% set ns.s = ns.s ~ ns.s %}",
                           "{% set ns.s = ns.s | replace('a', 'aa') %}", "{% set ns.s = ns.s.replace('a', 'aa') %}",
                           "{% set ns.s = [ns.s, ns.s] | join %}"}) {
    const std::string source = "{% set ns = namespace(s='aaaaaaaaaa') %}{% for i in range(40) %}" +
                               std::string(grow) + "{% endfor %}{{ ns.s | length }}";
    EXPECT_EQ(refusal(source), "a string or list would exceed 65536 elements") << grow;
  }
  EXPECT_EQ(refusal("{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}"
                    "{% endfor %}{{ ns.l | length }}"),
            "a string or list would exceed 65536 elements");
  EXPECT_NE(refusal("{{ 'ab' * 40000 }}").find("too large"), std::string::npos);
}

// Printing a container that holds itself recursed until the stack overflowed (SIGSEGV); Python
// prints [...] / {...} where the recursion closes.
TEST(JinjaLanguage, ContainersHoldingThemselvesPrintAsPythonDoes) {
  EXPECT_EQ(render("{% set ns = namespace(a=1) %}{% set ns.b = ns %}{{ ns }}"),
            "<Namespace {'a': 1, 'b': <Namespace {...}>}>");
  EXPECT_EQ(render("{% set ns = namespace(l=[1]) %}{% set ns.l = [ns] %}{{ ns.l }}"),
            "[<Namespace {'l': [...]}>]");
  EXPECT_EQ(render("{% set ns = namespace(l=[1]) %}{% set ns.l = [ns] %}{{ ns.l == ns.l }}"), "True");
}

TEST(JinjaLanguage, MacrosSeeTemplateVariablesAndRecurse) {
  EXPECT_EQ(render("{% set sep = ',' %}{% macro count(n) %}{% if n > 0 %}{{ count(n - 1) }}{{ sep }}{{ n }}"
                   "{% endif %}{% endmacro %}{{ count(3) }}"),
            ",1,2,3");
  EXPECT_NE(error_of("{% macro f(a) %}{% endmacro %}{{ f(1, 2) }}").find("takes not more than 1"), std::string::npos);
}

TEST(JinjaLanguage, LoopScopeDoesNotLeakButNamespaceDoes) {
  EXPECT_EQ(render("{% set x = 'out' %}{% for i in [1] %}{% set x = 'in' %}{{ x }}{% endfor %} {{ x }} {{ i }}"),
            "in out ");
  EXPECT_EQ(render("{% for i in [1, 2] %}{% for j in [3] %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}"),
            "1112");
}

TEST(JinjaStrings, FloatsPrintLikePythonRepr) {
  using ft::jinja::python_float_repr;
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(2.0), "2.0");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(123456789012345.6), "123456789012345.6");
  EXPECT_EQ(python_float_repr(1e-5), "1e-05");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(1.5e300), "1.5e+300");
}

TEST(JinjaStrings, PythonStringOperationsUseCodePoints) {
  using ft::jinja::python_split;
  using ft::jinja::python_strip;
  EXPECT_EQ(python_strip("\u3000 hé \n", std::nullopt, true, true), "hé");
  EXPECT_EQ(python_strip("ééaéé", std::string("é"), true, false), "aéé");
  EXPECT_EQ(python_split("  a  b c ", std::nullopt, 1), (std::vector<std::string>{"a", "b c"}));
  EXPECT_EQ(python_split("a::b::", std::string("::"), -1), (std::vector<std::string>{"a", "b", ""}));
  EXPECT_EQ(ft::jinja::python_string_repr("it's \"q\"\n"), "'it\\'s \"q\"\\n'");
  EXPECT_EQ(ft::jinja::utf8_length("Grüße 世界"), 8u);
}

}  // namespace
