// The values a Jinja template computes with, behaving as the Python objects jinja2 sees:
// Undefined (falsy, renders empty, errors on attribute access), None, bool, int, float, str,
// list, dict (insertion-ordered, string keys), namespace (mutable attributes) and callables.
// Lists, dicts and namespaces are shared by reference, as in Python.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ft::jinja {

// A template error at a template line (0 = unknown); the caller adds the template's name.
class TemplateError : public std::runtime_error {
 public:
  TemplateError(int line, const std::string& message) : std::runtime_error(message), line_(line) {}
  int line() const { return line_; }

 private:
  int line_;
};

// The longest string or list a render may build (RenderLimits::max_sequence_length, 2^28 unless a
// render on this thread set another), so `'x' * 10**12`, a string doubled in a loop or a runaway
// replace fails instead of exhausting memory.
size_t& sequence_limit();
void check_sequence_length(size_t n);

class Value;
using List = std::vector<Value>;

struct Dict {
  std::vector<std::pair<std::string, Value>> items;
  const Value* find(const std::string& key) const;
  void set(const std::string& key, Value v);
};

struct Namespace {
  Dict attrs;
};

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
  // Argument `index` by position, else by keyword `name`, else nullptr.
  const Value* get(size_t index, const std::string& name) const;
};

struct Function {
  std::string name;
  std::function<Value(const CallArgs&)> call;
};

struct Undefined {
  std::string hint;  // why it is undefined, for error messages: "'x' is undefined"
};
struct None {};

class Value {
 public:
  using Storage = std::variant<Undefined, None, bool, int64_t, double, std::string,
                               std::shared_ptr<List>, std::shared_ptr<Dict>,
                               std::shared_ptr<Namespace>, std::shared_ptr<Function>>;

  Value() : v_(Undefined{}) {}
  Value(Undefined u) : v_(std::move(u)) {}
  Value(None n) : v_(n) {}
  Value(bool b) : v_(b) {}
  Value(int64_t i) : v_(i) {}
  Value(int i) : v_(static_cast<int64_t>(i)) {}
  Value(double d) : v_(d) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(List l) : v_(std::make_shared<List>(std::move(l))) {}
  Value(Dict d) : v_(std::make_shared<Dict>(std::move(d))) {}
  Value(std::shared_ptr<Namespace> ns) : v_(std::move(ns)) {}
  Value(std::shared_ptr<Function> f) : v_(std::move(f)) {}

  static Value from_json(const nlohmann::ordered_json& j);

  bool is_undefined() const { return std::holds_alternative<Undefined>(v_); }
  bool is_none() const { return std::holds_alternative<None>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  bool is_int() const { return std::holds_alternative<int64_t>(v_); }
  bool is_float() const { return std::holds_alternative<double>(v_); }
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_list() const { return std::holds_alternative<std::shared_ptr<List>>(v_); }
  bool is_dict() const { return std::holds_alternative<std::shared_ptr<Dict>>(v_); }
  bool is_namespace() const { return std::holds_alternative<std::shared_ptr<Namespace>>(v_); }
  bool is_callable() const { return std::holds_alternative<std::shared_ptr<Function>>(v_); }

  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_double() const;  // int, float or bool
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const List& as_list() const { return *std::get<std::shared_ptr<List>>(v_); }
  const Dict& as_dict() const { return *std::get<std::shared_ptr<Dict>>(v_); }
  Namespace& as_namespace() const { return *std::get<std::shared_ptr<Namespace>>(v_); }
  const Function& as_function() const { return *std::get<std::shared_ptr<Function>>(v_); }
  const Undefined& as_undefined() const { return std::get<Undefined>(v_); }

  // Python's bool(x).
  bool truthy() const;
  // Python's type name, for error messages ("str", "int", "dict", ...).
  std::string type_name() const;
  // str(x) as jinja2 renders it ({{ x }}): Undefined -> "", None -> "None", True -> "True".
  std::string str() const;
  // repr(x): strings quoted, used inside rendered lists and dicts.
  std::string repr() const;
  // The items `for x in value` visits: list items, dict keys, string characters, nothing for
  // Undefined; throws TemplateError(0, ...) for values that are not iterable.
  List iterate() const;

 private:
  Storage v_;
};

// Python ==, and <, which throws TemplateError(0, ...) for unorderable types.
bool equals(const Value& a, const Value& b);
bool less_than(const Value& a, const Value& b);

// json.dumps(x, ensure_ascii=False, indent=indent, sort_keys=sort_keys); indent empty = none.
std::string to_json(const Value& v, const std::optional<std::string>& indent, bool sort_keys);

}  // namespace ft::jinja
