// Filters and tests (declared in jinja_builtins.h).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "text/jinja_builtins.h"
#include "text/jinja_operators.h"
#include "text/jinja_strings.h"

namespace ft::jinja {
namespace {

const Value* keyword_arg(const CallArgs& args, const std::string& name) {
  for (const auto& [k, v] : args.keyword)
    if (k == name) return &v;
  return nullptr;
}

Value arg_or(const CallArgs& args, size_t index, const std::string& name, Value fallback) {
  const Value* v = args.get(index, name);
  return v ? *v : fallback;
}

size_t length_of(const Value& v) {
  if (v.is_undefined()) return 0;
  if (v.is_string()) return utf8_length(v.as_string());
  if (v.is_list()) return v.as_list().size();
  if (v.is_dict()) return v.as_dict().items.size();
  throw TemplateError(0, "object of type '" + v.type_name() + "' has no len()");
}

// Python int(str): optional sign and surrounding whitespace, digits with single underscores.
std::optional<int64_t> parse_int(const std::string& text) {
  const std::string s = python_strip(text, std::nullopt, true, true);
  std::string digits;
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  for (; i < s.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i]))) digits.push_back(s[i]);
    else if (s[i] != '_' || digits.empty() || i + 1 == s.size() || s[i + 1] == '_') return std::nullopt;
  }
  if (digits.empty()) return std::nullopt;
  errno = 0;
  const long long v = std::strtoll(((s[0] == '-' ? "-" : "") + digits).c_str(), nullptr, 10);
  if (errno == ERANGE) return std::nullopt;
  return v;
}

std::optional<double> parse_float(const std::string& text) {
  const std::string s = python_strip(text, std::nullopt, true, true);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

// `attribute` may be dotted ("function.name") or an integer index, as jinja2's make_attrgetter.
Value lookup_attribute(const Value& item, const std::string& attribute) {
  Value v = item;
  for (const std::string& part : python_split(attribute, std::string("."), -1)) {
    const auto index = parse_int(part);
    v = index ? get_item(v, Value(*index)) : get_item(v, Value(part));
  }
  return v;
}

CallArgs tail_args(const CallArgs& args, size_t from) {
  CallArgs rest;
  for (size_t i = from; i < args.positional.size(); ++i) rest.positional.push_back(args.positional[i]);
  rest.keyword = args.keyword;
  return rest;
}

std::string required_string(const CallArgs& args, size_t index, const std::string& name,
                            const std::string& filter) {
  const Value* v = args.get(index, name);
  if (!v) throw TemplateError(0, "filter '" + filter + "' needs the argument '" + name + "'");
  return v->str();
}

Value select_items(const Value& seq, const CallArgs& args, bool by_attr, bool keep) {
  const std::string attribute = by_attr ? required_string(args, 0, "attr", "selectattr") : "";
  const size_t test_at = by_attr ? 1 : 0;
  const Value* test = test_at < args.positional.size() ? &args.positional[test_at] : nullptr;
  List out;
  for (const Value& item : seq.iterate()) {
    const Value subject = by_attr ? lookup_attribute(item, attribute) : item;
    const bool passed = test ? apply_test(test->str(), subject, tail_args(args, test_at + 1)) : subject.truthy();
    if (passed == keep) out.push_back(item);
  }
  return out;
}

Value map_items(const Value& seq, const CallArgs& args) {
  List out;
  if (const Value* attribute = keyword_arg(args, "attribute")) {
    const Value* fallback = keyword_arg(args, "default");
    for (const Value& item : seq.iterate()) {
      Value v = lookup_attribute(item, attribute->str());
      out.push_back(v.is_undefined() && fallback ? *fallback : v);
    }
    return out;
  }
  const std::string filter = required_string(args, 0, "filter", "map");
  const CallArgs rest = tail_args(args, 1);
  for (const Value& item : seq.iterate()) out.push_back(apply_filter(filter, item, rest));
  return out;
}

Value to_json_filter(const Value& input, const CallArgs& args) {
  if (arg_or(args, 0, "ensure_ascii", false).truthy())
    throw TemplateError(0, "tojson(ensure_ascii=true) is not supported");
  if (const Value* sep = args.get(2, "separators"); sep && !sep->is_none())
    throw TemplateError(0, "tojson(separators=...) is not supported");
  std::optional<std::string> indent;
  const Value ind = arg_or(args, 1, "indent", None{});
  if (ind.is_string()) indent = ind.as_string();
  else if (ind.is_int()) indent = std::string(static_cast<size_t>(std::max<int64_t>(0, ind.as_int())), ' ');
  return to_json(input, indent, arg_or(args, 3, "sort_keys", false).truthy());
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace

Value apply_filter(const std::string& name, const Value& input, const CallArgs& args) {
  if (name == "trim") {
    const Value chars = arg_or(args, 0, "chars", None{});
    return python_strip(input.str(), chars.is_string() ? std::optional(chars.as_string()) : std::nullopt, true, true);
  }
  if (name == "length" || name == "count") return static_cast<int64_t>(length_of(input));
  if (name == "upper") return ascii_upper(input.str());
  if (name == "lower") return ascii_lower(input.str());
  if (name == "capitalize") {
    std::string s = ascii_lower(input.str());
    if (!s.empty()) s[0] = ascii_upper(s.substr(0, 1))[0];
    return s;
  }
  if (name == "default" || name == "d") {
    const bool boolean = arg_or(args, 1, "boolean", false).truthy();
    const bool use_default = input.is_undefined() || (boolean && !input.truthy());
    return use_default ? arg_or(args, 0, "default_value", "") : input;
  }
  if (name == "tojson") return to_json_filter(input, args);
  if (name == "string") return input.str();
  if (name == "safe") return input;
  if (name == "escape" || name == "e") return html_escape(input.str());
  if (name == "join") {
    const std::string sep = arg_or(args, 0, "d", "").str();
    const Value* attribute = args.get(1, "attribute");
    std::string out;
    bool first = true;
    for (const Value& item : input.iterate()) {
      out += (first ? "" : sep) + (attribute ? lookup_attribute(item, attribute->str()) : item).str();
      check_sequence_length(out.size());
      first = false;
    }
    return out;
  }
  if (name == "replace") {
    const Value count = arg_or(args, 2, "count", None{});
    return python_replace(input.str(), required_string(args, 0, "old", name), required_string(args, 1, "new", name),
                          count.is_int() ? count.as_int() : -1);
  }
  if (name == "int") {
    if (input.is_int() || input.is_bool()) return unary_op("+", input);
    if (input.is_float() && std::isfinite(input.as_double())) return static_cast<int64_t>(input.as_double());
    if (input.is_string()) {
      if (auto i = parse_int(input.as_string())) return *i;
      if (auto f = parse_float(input.as_string()); f && std::isfinite(*f)) return static_cast<int64_t>(*f);
    }
    return arg_or(args, 0, "default", 0);
  }
  if (name == "float") {
    if (input.is_number()) return input.as_double();
    if (input.is_string())
      if (auto f = parse_float(input.as_string())) return *f;
    return arg_or(args, 0, "default", 0.0);
  }
  if (name == "first" || name == "last") {
    const List items = input.iterate();
    if (items.empty()) return Undefined{"No " + name + " item, sequence was empty."};
    return name == "first" ? items.front() : items.back();
  }
  if (name == "list") return input.iterate();
  if (name == "reverse") {
    if (input.is_string()) {
      std::u32string s = utf8_decode(input.as_string());
      std::reverse(s.begin(), s.end());
      return utf8_encode(s);
    }
    List items = input.iterate();
    std::reverse(items.begin(), items.end());
    return items;
  }
  if (name == "items") {
    if (input.is_undefined()) return List{};
    if (!input.is_dict()) throw TemplateError(0, "Can only get item pairs from a mapping.");
    List out;
    for (const auto& [k, v] : input.as_dict().items) out.push_back(List{Value(k), v});
    return out;
  }
  if (name == "selectattr" || name == "rejectattr") return select_items(input, args, true, name == "selectattr");
  if (name == "select" || name == "reject") return select_items(input, args, false, name == "select");
  if (name == "map") return map_items(input, args);
  if (name == "abs") {
    if (input.is_float()) return std::fabs(input.as_double());
    const Value v = unary_op("+", input);
    return v.as_int() < 0 ? unary_op("-", v) : v;
  }
  throw TemplateError(0, "No filter named '" + name + "'.");
}

bool apply_test(const std::string& name, const Value& v, const CallArgs& args) {
  auto other = [&]() -> const Value& {
    const Value* o = args.get(0, "other");
    if (!o) throw TemplateError(0, "test '" + name + "' needs an argument");
    return *o;
  };
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.is_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "number") return v.is_number();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_dict();
  if (name == "iterable") return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined();
  if (name == "sequence") return v.is_list() || v.is_dict() || v.is_string();
  if (name == "callable") return v.is_callable();
  if (name == "lower") return v.is_string() && ascii_lower(v.as_string()) == v.as_string();
  if (name == "upper") return v.is_string() && ascii_upper(v.as_string()) == v.as_string();
  if (name == "even" || name == "odd") {
    const Value r = binary_op("%", v, Value(2));
    return (r.is_int() && r.as_int() == 0) == (name == "even");
  }
  if (name == "divisibleby") {
    const Value r = binary_op("%", v, other());
    return r.is_int() ? r.as_int() == 0 : r.as_double() == 0.0;
  }
  if (name == "eq" || name == "equalto" || name == "==") return equals(v, other());
  if (name == "ne" || name == "!=") return !equals(v, other());
  if (name == "lt" || name == "lessthan" || name == "<") return binary_op("<", v, other()).truthy();
  if (name == "le" || name == "<=") return binary_op("<=", v, other()).truthy();
  if (name == "gt" || name == "greaterthan" || name == ">") return binary_op(">", v, other()).truthy();
  if (name == "ge" || name == ">=") return binary_op(">=", v, other()).truthy();
  if (name == "in") return binary_op("in", v, other()).truthy();
  if (name == "sameas") {
    const Value& o = other();
    if (v.is_list() && o.is_list()) return &v.as_list() == &o.as_list();
    if (v.is_dict() && o.is_dict()) return &v.as_dict() == &o.as_dict();
    if (v.is_namespace() && o.is_namespace()) return &v.as_namespace() == &o.as_namespace();
    return (v.is_none() || v.is_bool()) && v.is_bool() == o.is_bool() && equals(v, o);
  }
  throw TemplateError(0, "No test named '" + name + "'.");
}

}  // namespace ft::jinja
