// Parses one Jinja expression with jinja2's precedence: `a if c else b` lowest, then or, and,
// not, comparisons and `in`, `+ -`, `~`, `* / // %`, `**`, unary `- +`, and tightest the
// postfix forms (`.attr`, `[key]`, `[a:b:c]`, calls) followed by filters `|f(...)` and tests
// `is [not] t` (so `x|length - 1` is `(x|length) - 1`).
#pragma once
#include "text/jinja_ast.h"
#include "text/jinja_token_stream.h"

namespace ft::jinja {

// `tuple`: `a, b` is read as a tuple (evaluated as a list). `with_condexpr` false leaves a
// trailing `if` unread (for-loop iterables: `for x in xs if x`). The tree's depth is checked.
ExprPtr parse_expression(TokenStream& ts, bool tuple, bool with_condexpr);

}  // namespace ft::jinja
