#include "text/jinja_operators.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "text/jinja_strings.h"

namespace ft::jinja {
namespace {

bool is_int_like(const Value& v) { return v.is_int() || v.is_bool(); }
int64_t int_of(const Value& v) { return v.is_bool() ? int64_t{v.as_bool()} : v.as_int(); }

[[noreturn]] void unsupported(const std::string& op, const Value& a, const Value& b) {
  throw TemplateError(0, "unsupported operand type(s) for " + op + ": '" + a.type_name() + "' and '" +
                             b.type_name() + "'");
}

void check_overflow(bool overflow) {
  if (overflow) throw TemplateError(0, "integer overflow");
}

Value repeat(const Value& seq, int64_t times) {
  const size_t n = times > 0 ? static_cast<size_t>(times) : 0;
  const size_t len = seq.is_string() ? seq.as_string().size() : seq.as_list().size();
  if (len != 0 && n > sequence_limit() / len)
    throw TemplateError(0, "sequence repetition result is too large");
  if (seq.is_string()) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += seq.as_string();
    return out;
  }
  List out;
  for (size_t i = 0; i < n; ++i) out.insert(out.end(), seq.as_list().begin(), seq.as_list().end());
  return out;
}

Value arithmetic(const std::string& op, const Value& a, const Value& b) {
  if (op == "*") {
    if ((a.is_string() || a.is_list()) && is_int_like(b)) return repeat(a, int_of(b));
    if (is_int_like(a) && (b.is_string() || b.is_list())) return repeat(b, int_of(a));
  }
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      check_sequence_length(a.as_string().size() + b.as_string().size());
      return a.as_string() + b.as_string();
    }
    if (a.is_list() && b.is_list()) {
      check_sequence_length(a.as_list().size() + b.as_list().size());
      List out = a.as_list();
      out.insert(out.end(), b.as_list().begin(), b.as_list().end());
      return out;
    }
  }
  if (!a.is_number() || !b.is_number()) unsupported(op, a, b);
  if (op == "/") {
    if (b.as_double() == 0.0) throw TemplateError(0, "division by zero");
    return a.as_double() / b.as_double();
  }
  if (is_int_like(a) && is_int_like(b)) {
    const int64_t x = int_of(a), y = int_of(b);
    int64_t r = 0;
    if (op == "+" || op == "-" || op == "*") {
      check_overflow(op == "+"   ? __builtin_add_overflow(x, y, &r)
                     : op == "-" ? __builtin_sub_overflow(x, y, &r)
                                 : __builtin_mul_overflow(x, y, &r));
      return r;
    }
    if (op == "//" || op == "%") {
      if (y == 0) throw TemplateError(0, "integer division or modulo by zero");
      if (x == INT64_MIN && y == -1) throw TemplateError(0, "integer overflow");
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        --q;
        m += y;
      }
      return op == "//" ? q : m;
    }
    if (op == "**") {
      if (y < 0) return std::pow(static_cast<double>(x), static_cast<double>(y));
      int64_t result = 1;
      for (int64_t i = 0; i < y; ++i) {
        check_overflow(__builtin_mul_overflow(result, x, &result));
        if (result == 0 || result == 1) break;
      }
      return result;
    }
  }
  const double x = a.as_double(), y = b.as_double();
  if (op == "+") return x + y;
  if (op == "-") return x - y;
  if (op == "*") return x * y;
  if (op == "**") return std::pow(x, y);
  if (y == 0.0) throw TemplateError(0, "float division by zero");
  const double q = std::floor(x / y);
  return op == "//" ? q : x - q * y;
}

bool contains(const Value& container, const Value& item) {
  if (container.is_undefined()) return false;
  if (container.is_string()) {
    if (!item.is_string())
      throw TemplateError(0, "'in <string>' requires string as left operand, not " + item.type_name());
    return container.as_string().find(item.as_string()) != std::string::npos;
  }
  if (container.is_dict()) return item.is_string() && container.as_dict().find(item.as_string());
  if (container.is_list()) {
    for (const auto& v : container.as_list())
      if (equals(v, item)) return true;
    return false;
  }
  throw TemplateError(0, "argument of type '" + container.type_name() + "' is not iterable");
}

}  // namespace

void fail_undefined(const Value& undefined) {
  const std::string& hint = undefined.as_undefined().hint;
  throw TemplateError(0, hint.empty() ? "undefined value" : hint);
}

Value binary_op(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return equals(a, b);
  if (op == "!=") return !equals(a, b);
  if (op == "in") return contains(b, a);
  if (op == "not in") return !contains(b, a);
  if (op == "~") {
    std::string left = a.str(), right = b.str();
    check_sequence_length(left.size() + right.size());
    return left + right;
  }
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  if (op == "<") return less_than(a, b);
  if (op == ">") return less_than(b, a);
  if (op == "<=") return !less_than(b, a);
  if (op == ">=") return !less_than(a, b);
  return arithmetic(op, a, b);
}

Value unary_op(const std::string& op, const Value& v) {
  if (op == "not") return !v.truthy();
  if (v.is_undefined()) fail_undefined(v);
  if (!v.is_number()) throw TemplateError(0, "bad operand type for unary " + op + ": '" + v.type_name() + "'");
  if (op == "+") return v.is_float() ? v : Value(int_of(v));
  if (v.is_float()) return -v.as_double();
  check_overflow(int_of(v) == INT64_MIN);
  return -int_of(v);
}

Value get_attr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) fail_undefined(obj);
  const Dict* dict = obj.is_dict() ? &obj.as_dict() : obj.is_namespace() ? &obj.as_namespace().attrs : nullptr;
  if (dict) {
    if (const Value* v = dict->find(name)) return *v;
  }
  return Undefined{"'" + obj.type_name() + " object' has no attribute '" + name + "'"};
}

Value get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) fail_undefined(obj);
  if ((obj.is_list() || obj.is_string()) && is_int_like(key)) {
    const std::u32string chars = obj.is_string() ? utf8_decode(obj.as_string()) : std::u32string();
    const auto len = static_cast<int64_t>(obj.is_list() ? obj.as_list().size() : chars.size());
    int64_t i = int_of(key);
    if (i < 0) i += len;
    if (i < 0 || i >= len) return Undefined{obj.type_name() + " index out of range"};
    if (obj.is_list()) return obj.as_list()[static_cast<size_t>(i)];
    return utf8_encode(chars.substr(static_cast<size_t>(i), 1));
  }
  if (key.is_string()) return get_attr(obj, key.as_string());
  return Undefined{"'" + obj.type_name() + " object' has no item " + key.repr()};
}

Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (!obj.is_list() && !obj.is_string()) return Undefined{"'" + obj.type_name() + "' object is not subscriptable"};
  for (const Value* v : {&start, &stop, &step})
    if (!v->is_undefined() && !v->is_none() && !is_int_like(*v))
      throw TemplateError(0, "slice indices must be integers or None");
  auto given = [](const Value& v) { return !v.is_undefined() && !v.is_none(); };
  const int64_t st = given(step) ? int_of(step) : 1;
  if (st == 0) throw TemplateError(0, "slice step cannot be zero");
  const std::u32string chars = obj.is_string() ? utf8_decode(obj.as_string()) : std::u32string();
  const auto len = static_cast<int64_t>(obj.is_list() ? obj.as_list().size() : chars.size());
  auto clamp = [&](const Value& v, int64_t dflt) {
    if (!given(v)) return dflt;
    int64_t i = int_of(v);
    if (i < 0) i += len;
    if (st > 0) return std::clamp<int64_t>(i, 0, len);
    return std::clamp<int64_t>(i, -1, len - 1);
  };
  const int64_t b = clamp(start, st > 0 ? 0 : len - 1), e = clamp(stop, st > 0 ? len : -1);
  List items;
  std::u32string text;
  for (int64_t i = b; st > 0 ? i < e : i > e; i += st) {
    if (obj.is_list()) items.push_back(obj.as_list()[static_cast<size_t>(i)]);
    else text.push_back(chars[static_cast<size_t>(i)]);
  }
  if (obj.is_list()) return items;
  return utf8_encode(text);
}

}  // namespace ft::jinja
