// Parses a Jinja template (tokens from jinja_lexer) into statements, with jinja2's operator
// precedence: filters and tests bind tighter than arithmetic (`x|length - 1`), `~` sits between
// `+` and `*`, and `a if c else b` is lowest. Supported tags: if/elif/else, for (unpacking,
// `if` filter, else), set (incl. `ns.attr` and block set), macro, break/continue, raw and
// transformers' generation. Throws TemplateError(line, ...) on syntax errors and on nesting
// deeper than kMaxNesting, so a hostile template cannot exhaust the stack.
#pragma once
#include <string>

#include "text/jinja_ast.h"

namespace ft::jinja {

inline constexpr int kMaxNesting = 100;

Body parse_template(const std::string& source);

}  // namespace ft::jinja
