#include "text/jinja_value.h"

#include <algorithm>
#include <cmath>

#include "text/jinja_strings.h"

namespace ft::jinja {

const Value* Dict::find(const std::string& key) const {
  for (const auto& [k, v] : items)
    if (k == key) return &v;
  return nullptr;
}

void Dict::set(const std::string& key, Value v) {
  for (auto& [k, old] : items) {
    if (k == key) {
      old = std::move(v);
      return;
    }
  }
  items.emplace_back(key, std::move(v));
}

const Value* CallArgs::get(size_t index, const std::string& name) const {
  if (index < positional.size()) return &positional[index];
  for (const auto& [k, v] : keyword)
    if (k == name) return &v;
  return nullptr;
}

Value Value::from_json(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null: return None{};
    case nlohmann::ordered_json::value_t::boolean: return j.get<bool>();
    case nlohmann::ordered_json::value_t::number_integer:
    case nlohmann::ordered_json::value_t::number_unsigned: return j.get<int64_t>();
    case nlohmann::ordered_json::value_t::number_float: return j.get<double>();
    case nlohmann::ordered_json::value_t::string: return j.get<std::string>();
    case nlohmann::ordered_json::value_t::array: {
      List list;
      for (const auto& item : j) list.push_back(from_json(item));
      return list;
    }
    case nlohmann::ordered_json::value_t::object: {
      Dict dict;
      for (const auto& [k, v] : j.items()) dict.items.emplace_back(k, from_json(v));
      return dict;
    }
    default: return Undefined{"unsupported JSON value"};
  }
}

double Value::as_double() const {
  if (is_int()) return static_cast<double>(as_int());
  if (is_bool()) return as_bool() ? 1.0 : 0.0;
  return std::get<double>(v_);
}

bool Value::truthy() const {
  if (is_undefined() || is_none()) return false;
  if (is_bool()) return as_bool();
  if (is_int()) return as_int() != 0;
  if (is_float()) return as_double() != 0.0;
  if (is_string()) return !as_string().empty();
  if (is_list()) return !as_list().empty();
  if (is_dict()) return !as_dict().items.empty();
  return true;
}

std::string Value::type_name() const {
  if (is_undefined()) return "Undefined";
  if (is_none()) return "NoneType";
  if (is_bool()) return "bool";
  if (is_int()) return "int";
  if (is_float()) return "float";
  if (is_string()) return "str";
  if (is_list()) return "list";
  if (is_dict()) return "dict";
  if (is_namespace()) return "Namespace";
  return "function";
}

std::string Value::str() const {
  if (is_undefined()) return "";
  if (is_string()) return as_string();
  return repr();
}

size_t& sequence_limit() {
  thread_local size_t limit = size_t{1} << 28;
  return limit;
}

void check_sequence_length(size_t n) {
  if (n > sequence_limit())
    throw TemplateError(0, "a string or list would exceed " + std::to_string(sequence_limit()) + " elements");
}

namespace {

// Python's repr, with its guard for containers that hold themselves: `[...]` / `{...}` where a
// container already being printed recurs (a namespace holding itself overflowed the stack).
std::string repr_of(const Value& v, std::vector<const void*>& open) {
  if (v.is_undefined()) return "";
  if (v.is_none()) return "None";
  if (v.is_bool()) return v.as_bool() ? "True" : "False";
  if (v.is_int()) return std::to_string(v.as_int());
  if (v.is_float()) return python_float_repr(v.as_double());
  if (v.is_string()) return python_string_repr(v.as_string());
  if (v.is_callable()) return "<function " + v.as_function().name + ">";
  const void* self = v.is_list() ? static_cast<const void*>(&v.as_list())
                     : v.is_dict() ? static_cast<const void*>(&v.as_dict())
                                   : static_cast<const void*>(&v.as_namespace());
  const bool recurs = std::find(open.begin(), open.end(), self) != open.end();
  std::string out;
  if (v.is_list()) {
    out = "[";
    if (recurs) out += "...";
    else {
      open.push_back(self);
      for (const auto& item : v.as_list()) out += (out.size() > 1 ? ", " : "") + repr_of(item, open);
      open.pop_back();
    }
    return out + "]";
  }
  const Dict& d = v.is_dict() ? v.as_dict() : v.as_namespace().attrs;
  out = "{";
  if (recurs) out += "...";
  else {
    open.push_back(self);
    for (const auto& [k, item] : d.items)
      out += (out.size() > 1 ? ", " : "") + python_string_repr(k) + ": " + repr_of(item, open);
    open.pop_back();
  }
  out += "}";
  check_sequence_length(out.size());
  return v.is_dict() ? out : "<Namespace " + out + ">";
}

}  // namespace

std::string Value::repr() const {
  std::vector<const void*> open;
  return repr_of(*this, open);
}

List Value::iterate() const {
  if (is_undefined()) return {};
  if (is_list()) return as_list();
  if (is_dict()) {
    List keys;
    for (const auto& item : as_dict().items) keys.emplace_back(item.first);
    return keys;
  }
  if (is_string()) {
    List chars;
    for (char32_t c : utf8_decode(as_string())) {
      std::string one;
      utf8_append(one, c);
      chars.emplace_back(std::move(one));
    }
    return chars;
  }
  throw TemplateError(0, "'" + type_name() + "' object is not iterable");
}

bool equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_double() == b.as_double();
    auto as_i = [](const Value& v) { return v.is_bool() ? int64_t{v.as_bool()} : v.as_int(); };
    return as_i(a) == as_i(b);
  }
  if (a.is_undefined() || b.is_undefined()) return a.is_undefined() && b.is_undefined();
  if (a.is_none() || b.is_none()) return a.is_none() && b.is_none();
  if (a.is_string() && b.is_string()) return a.as_string() == b.as_string();
  if (a.is_list() && b.is_list()) {
    const List &x = a.as_list(), &y = b.as_list();
    if (&x == &y) return true;  // as Python's `is` shortcut; also ends a list holding itself
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (!equals(x[i], y[i])) return false;
    return true;
  }
  if (a.is_dict() && b.is_dict()) {
    const Dict &x = a.as_dict(), &y = b.as_dict();
    if (&x == &y) return true;
    if (x.items.size() != y.items.size()) return false;
    for (const auto& [k, v] : x.items) {
      const Value* other = y.find(k);
      if (!other || !equals(v, *other)) return false;
    }
    return true;
  }
  if (a.is_namespace() && b.is_namespace()) return &a.as_namespace() == &b.as_namespace();
  if (a.is_callable() && b.is_callable()) return &a.as_function() == &b.as_function();
  return false;
}

bool less_than(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_double() < b.as_double();
    auto as_i = [](const Value& v) { return v.is_bool() ? int64_t{v.as_bool()} : v.as_int(); };
    return as_i(a) < as_i(b);
  }
  if (a.is_string() && b.is_string()) return a.as_string() < b.as_string();
  if (a.is_list() && b.is_list()) {
    const List &x = a.as_list(), &y = b.as_list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equals(x[i], y[i])) return less_than(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  throw TemplateError(0, "'<' not supported between instances of '" + a.type_name() + "' and '" +
                             b.type_name() + "'");
}

namespace {

void dump_json(const Value& v, const std::optional<std::string>& indent, bool sort_keys,
               int depth, std::string& out) {
  auto newline = [&](int level) {
    out.push_back('\n');
    for (int i = 0; i < level; ++i) out += *indent;
  };
  const char* item_sep = indent ? "," : ", ";
  if (v.is_none()) {
    out += "null";
  } else if (v.is_bool()) {
    out += v.as_bool() ? "true" : "false";
  } else if (v.is_int()) {
    out += std::to_string(v.as_int());
  } else if (v.is_float()) {
    const double d = v.as_double();
    out += std::isnan(d)   ? "NaN"
           : std::isinf(d) ? (d < 0 ? "-Infinity" : "Infinity")
                           : python_float_repr(d);
  } else if (v.is_string()) {
    out += json_quote(v.as_string());
  } else if (v.is_list()) {
    const List& list = v.as_list();
    if (list.empty()) {
      out += "[]";
      return;
    }
    out.push_back('[');
    for (size_t i = 0; i < list.size(); ++i) {
      if (i) out += item_sep;
      if (indent) newline(depth + 1);
      dump_json(list[i], indent, sort_keys, depth + 1, out);
    }
    if (indent) newline(depth);
    out.push_back(']');
  } else if (v.is_dict()) {
    auto items = v.as_dict().items;
    if (items.empty()) {
      out += "{}";
      return;
    }
    if (sort_keys)
      std::stable_sort(items.begin(), items.end(),
                       [](const auto& x, const auto& y) { return x.first < y.first; });
    out.push_back('{');
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out += item_sep;
      if (indent) newline(depth + 1);
      out += json_quote(items[i].first) + ": ";
      dump_json(items[i].second, indent, sort_keys, depth + 1, out);
    }
    if (indent) newline(depth);
    out.push_back('}');
  } else {
    throw TemplateError(0, "Object of type " + v.type_name() + " is not JSON serializable");
  }
}

}  // namespace

std::string to_json(const Value& v, const std::optional<std::string>& indent, bool sort_keys) {
  std::string out;
  dump_json(v, indent, sort_keys, 0, out);
  return out;
}

}  // namespace ft::jinja
