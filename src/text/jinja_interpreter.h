// Executes a parsed Jinja template against template variables and returns the rendered text.
// Scoping follows jinja2: `for` bodies and macros get their own scope (a `set` inside a loop does
// not leak out; use namespace()), `if` does not. Runaway templates are stopped by limits on loop
// iterations, macro recursion and output size. Throws TemplateError(line, ...).
#pragma once
#include <cstdint>
#include <string>

#include "text/jinja_ast.h"

namespace ft::jinja {

struct RenderLimits {
  int64_t max_loop_iterations = 1'000'000;  // per render, all loops together
  int max_call_depth = 50;                  // nested macro calls
  size_t max_output_bytes = size_t{1} << 28;
  size_t max_sequence_length = size_t{1} << 28;  // longest string or list built on the way
};

// `variables` are added to (and may shadow) the builtin globals: range, namespace, dict,
// raise_exception, strftime_now.
std::string render(const Body& program, const Dict& variables, const RenderLimits& limits = {});

}  // namespace ft::jinja
