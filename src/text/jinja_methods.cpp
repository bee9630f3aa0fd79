// Python str / dict methods and the global functions (declared in jinja_builtins.h).
#include <ctime>

#include "text/jinja_builtins.h"
#include "text/jinja_strings.h"

namespace ft::jinja {
namespace {

std::optional<std::string> optional_string(const CallArgs& args, size_t index, const std::string& name) {
  const Value* v = args.get(index, name);
  if (!v || v->is_none()) return std::nullopt;
  if (!v->is_string()) throw TemplateError(0, "argument '" + name + "' must be str or None, not " + v->type_name());
  return v->as_string();
}

std::string string_arg(const CallArgs& args, size_t index, const std::string& name, const std::string& method) {
  const Value* v = args.get(index, name);
  if (!v || !v->is_string())
    throw TemplateError(0, method + "() argument '" + name + "' must be a string");
  return v->as_string();
}

int64_t int_arg(const CallArgs& args, size_t index, const std::string& name, int64_t fallback) {
  const Value* v = args.get(index, name);
  if (!v) return fallback;
  if (!v->is_int()) throw TemplateError(0, "argument '" + name + "' must be an integer");
  return v->as_int();
}

// startswith / endswith accept one prefix or a tuple (list) of them.
bool affix_match(const std::string& s, const Value& affix, bool at_start) {
  if (affix.is_list()) {
    for (const Value& a : affix.as_list())
      if (affix_match(s, a, at_start)) return true;
    return false;
  }
  if (!affix.is_string()) throw TemplateError(0, "startswith/endswith argument must be str or a tuple of str");
  const std::string& a = affix.as_string();
  if (a.size() > s.size()) return false;
  return s.compare(at_start ? 0 : s.size() - a.size(), a.size(), a) == 0;
}

std::optional<Value> string_method(const std::string& s, const std::string& name, const CallArgs& args) {
  if (name == "strip" || name == "lstrip" || name == "rstrip")
    return python_strip(s, optional_string(args, 0, "chars"), name != "rstrip", name != "lstrip");
  if (name == "split") {
    List parts;
    try {
      for (auto& p : python_split(s, optional_string(args, 0, "sep"), int_arg(args, 1, "maxsplit", -1)))
        parts.emplace_back(std::move(p));
    } catch (const std::invalid_argument&) {
      throw TemplateError(0, "split(): empty separator");
    }
    return parts;
  }
  if (name == "startswith" || name == "endswith") {
    const Value* affix = args.get(0, "prefix");
    if (!affix) throw TemplateError(0, name + "() takes at least 1 argument");
    return affix_match(s, *affix, name == "startswith");
  }
  if (name == "replace")
    return python_replace(s, string_arg(args, 0, "old", name), string_arg(args, 1, "new", name),
                          int_arg(args, 2, "count", -1));
  if (name == "upper") return ascii_upper(s);
  if (name == "lower") return ascii_lower(s);
  if (name == "capitalize") {
    std::string out = ascii_lower(s);
    if (!out.empty()) out[0] = ascii_upper(out.substr(0, 1))[0];
    return out;
  }
  if (name == "find") {
    const size_t at = s.find(string_arg(args, 0, "sub", name));
    if (at == std::string::npos) return Value(-1);
    return static_cast<int64_t>(utf8_length(s.substr(0, at)));
  }
  if (name == "count") {
    const std::string sub = string_arg(args, 0, "sub", name);
    if (sub.empty()) return static_cast<int64_t>(utf8_length(s) + 1);
    int64_t n = 0;
    for (size_t at = s.find(sub); at != std::string::npos; at = s.find(sub, at + sub.size())) ++n;
    return n;
  }
  if (name == "join") {
    const Value* items = args.get(0, "iterable");
    if (!items) throw TemplateError(0, "join() takes exactly one argument");
    std::string out;
    bool first = true;
    for (const Value& item : items->iterate()) {
      if (!item.is_string()) throw TemplateError(0, "join(): sequence item must be str, not " + item.type_name());
      out += (first ? "" : s) + item.as_string();
      first = false;
    }
    return out;
  }
  return std::nullopt;
}

std::optional<Value> dict_method(const Dict& d, const std::string& name, const CallArgs& args) {
  if (name == "items" || name == "keys" || name == "values") {
    List out;
    for (const auto& [k, v] : d.items)
      out.push_back(name == "items" ? Value(List{Value(k), v}) : name == "keys" ? Value(k) : v);
    return out;
  }
  if (name == "get") {
    const Value* key = args.get(0, "key");
    if (!key) throw TemplateError(0, "get() takes at least 1 argument");
    const Value* found = key->is_string() ? d.find(key->as_string()) : nullptr;
    if (found) return *found;
    const Value* fallback = args.get(1, "default");
    return fallback ? *fallback : Value(None{});
  }
  return std::nullopt;
}

std::shared_ptr<Function> function(std::string name, std::function<Value(const CallArgs&)> body) {
  return std::make_shared<Function>(Function{std::move(name), std::move(body)});
}

Value make_range(const CallArgs& args) {
  if (!args.keyword.empty() || args.positional.empty() || args.positional.size() > 3)
    throw TemplateError(0, "range() takes 1 to 3 integer arguments");
  for (const Value& v : args.positional)
    if (!v.is_int()) throw TemplateError(0, "range() arguments must be integers");
  const auto& p = args.positional;
  const int64_t start = p.size() > 1 ? p[0].as_int() : 0;
  const int64_t stop = p.size() > 1 ? p[1].as_int() : p[0].as_int();
  const int64_t step = p.size() > 2 ? p[2].as_int() : 1;
  if (step == 0) throw TemplateError(0, "range() arg 3 must not be zero");
  List out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (static_cast<int64_t>(out.size()) >= kMaxRange)
      throw TemplateError(0, "range too big, the sandbox allows at most " + std::to_string(kMaxRange) + " items");
    out.emplace_back(i);
  }
  return out;
}

Dict keyword_dict(const CallArgs& args, const std::string& fn) {
  Dict d;
  for (const Value& p : args.positional) {
    if (!p.is_dict()) throw TemplateError(0, fn + "() positional argument must be a mapping");
    for (const auto& [k, v] : p.as_dict().items) d.set(k, v);
  }
  for (const auto& [k, v] : args.keyword) d.set(k, v);
  return d;
}

}  // namespace

std::optional<Value> call_method(const Value& obj, const std::string& name, const CallArgs& args) {
  if (obj.is_string()) return string_method(obj.as_string(), name, args);
  if (obj.is_dict()) return dict_method(obj.as_dict(), name, args);
  return std::nullopt;
}

Dict builtin_globals() {
  Dict g;
  g.set("range", function("range", make_range));
  g.set("dict", function("dict", [](const CallArgs& a) { return Value(keyword_dict(a, "dict")); }));
  g.set("namespace", function("namespace", [](const CallArgs& a) {
          auto ns = std::make_shared<Namespace>();
          ns->attrs = keyword_dict(a, "namespace");
          return Value(ns);
        }));
  g.set("raise_exception", function("raise_exception", [](const CallArgs& a) -> Value {
          const Value* message = a.get(0, "message");
          throw TemplateError(0, message ? message->str() : "raise_exception() called");
        }));
  g.set("strftime_now", function("strftime_now", [](const CallArgs& a) {
          const Value* format = a.get(0, "format");
          if (!format || !format->is_string()) throw TemplateError(0, "strftime_now() needs a format string");
          const std::time_t now = std::time(nullptr);
          std::tm local{};
          localtime_r(&now, &local);
          char buf[256];
          const size_t n = std::strftime(buf, sizeof buf, format->as_string().c_str(), &local);
          return Value(std::string(buf, n));
        }));
  return g;
}

}  // namespace ft::jinja
