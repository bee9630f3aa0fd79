// Jinja operators on values with Python's semantics: arithmetic (int stays int, `/` gives float,
// `//` and `%` floor), `~` concatenation, comparisons, `in`, and jinja2's attribute / item / slice
// access (a missing key gives Undefined; any access on Undefined is an error, as jinja2's default
// Undefined raises). Errors throw TemplateError(0, ...); the interpreter adds the line.
#pragma once
#include <string>

#include "text/jinja_value.h"

namespace ft::jinja {

Value binary_op(const std::string& op, const Value& a, const Value& b);
Value unary_op(const std::string& op, const Value& v);
Value get_attr(const Value& obj, const std::string& name);
Value get_item(const Value& obj, const Value& key);
Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step);
// Throws the "'x' is undefined" error that using an Undefined raises in jinja2.
[[noreturn]] void fail_undefined(const Value& undefined);

}  // namespace ft::jinja
