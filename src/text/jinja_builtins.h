// The filters, tests, methods and global functions chat templates use, with jinja2's (filters,
// tests, globals) and Python's (str and dict methods) semantics. `tojson` is transformers' own
// (json.dumps, ensure_ascii=False, no HTML escaping). Errors, including an unknown filter or test,
// throw TemplateError(0, ...); the interpreter adds the line.
#pragma once
#include <optional>
#include <string>

#include "text/jinja_value.h"

namespace ft::jinja {

// jinja2's sandbox refuses ranges longer than this; so do we.
inline constexpr int64_t kMaxRange = 100000;

Value apply_filter(const std::string& name, const Value& input, const CallArgs& args);
bool apply_test(const std::string& name, const Value& value, const CallArgs& args);
// `obj.name(args)` for str and dict methods; nullopt when `obj` has no such method.
std::optional<Value> call_method(const Value& obj, const std::string& name, const CallArgs& args);
// namespace, range, dict, raise_exception, strftime_now.
Dict builtin_globals();

}  // namespace ft::jinja
