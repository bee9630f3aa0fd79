// Parses a Jinja template into statements (expressions: jinja_expression_parser.h). Supported
// tags: if/elif/else, for (unpacking, `if` filter, else), set (incl. `ns.attr` and block set),
// macro, break/continue, raw (in the lexer) and transformers' generation. Throws
// TemplateError(line, ...) on syntax errors and on nesting deeper than kMaxNesting
// (jinja_token_stream.h), so a hostile template cannot exhaust the stack.
#pragma once
#include <string>

#include "text/jinja_ast.h"
#include "text/jinja_token_stream.h"

namespace ft::jinja {

Body parse_template(const std::string& source);

}  // namespace ft::jinja
