#include "text/jinja_interpreter.h"

#include <unordered_map>

#include "text/jinja_builtins.h"
#include "text/jinja_operators.h"

namespace ft::jinja {
namespace {

enum class Flow { Normal, Break, Continue };

class Interpreter {
 public:
  Interpreter(const Dict& variables, const RenderLimits& limits) : limits_(limits) {
    frames_.emplace_back();
    for (auto& [k, v] : builtin_globals().items) frames_[0][k] = v;
    for (const auto& [k, v] : variables.items) frames_[0][k] = v;
  }
  // A namespace given itself (directly or through a list) is a shared_ptr cycle: emptying every
  // namespace this render assigned to frees them (LeakSanitizer found one per such render).
  ~Interpreter() {
    for (auto& [ns, value] : assigned_) value.as_namespace().attrs = Dict{};
  }
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  std::string run(const Body& program) {
    std::string out;
    exec_body(program, out);
    return out;
  }

 private:
  using Frame = std::unordered_map<std::string, Value>;

  Value lookup(const std::string& name) const {
    for (size_t i = frames_.size(); i-- > base_;) {
      auto it = frames_[i].find(name);
      if (it != frames_[i].end()) return it->second;
    }
    if (base_ > 0) {
      auto it = frames_[0].find(name);
      if (it != frames_[0].end()) return it->second;
    }
    return Undefined{"'" + name + "' is undefined"};
  }

  void append(std::string& out, const std::string& text) {
    if (out.size() + text.size() > limits_.max_output_bytes)
      throw TemplateError(0, "rendered text is larger than " + std::to_string(limits_.max_output_bytes) + " bytes");
    out += text;
  }

  Flow exec_body(const Body& body, std::string& out) {
    for (const StmtPtr& s : body) {
      Flow flow = Flow::Normal;
      try {
        flow = exec(*s, out);
      } catch (const TemplateError& e) {
        if (e.line() != 0) throw;
        throw TemplateError(s->line, e.what());
      }
      if (flow != Flow::Normal) return flow;
    }
    return Flow::Normal;
  }

  Flow exec(const Stmt& s, std::string& out) {
    switch (s.kind) {
      case StmtKind::Text: append(out, s.text); return Flow::Normal;
      case StmtKind::Output: append(out, eval(*s.expr).str()); return Flow::Normal;
      case StmtKind::If:
        for (const auto& [cond, body] : s.branches)
          if (eval(*cond).truthy()) return exec_body(body, out);
        return exec_body(s.else_body, out);
      case StmtKind::For: return exec_for(s, out);
      case StmtKind::Set: exec_set(s); return Flow::Normal;
      case StmtKind::SetBlock: {
        std::string captured;
        exec_body(s.body, captured);
        frames_.back()[s.targets[0]] = std::move(captured);
        return Flow::Normal;
      }
      case StmtKind::Macro: define_macro(s); return Flow::Normal;
      case StmtKind::Break: return Flow::Break;
      case StmtKind::Continue: return Flow::Continue;
      case StmtKind::Scope: return exec_body(s.body, out);
    }
    return Flow::Normal;
  }

  void bind(Frame& frame, const std::vector<std::string>& targets, const Value& value) {
    if (targets.size() == 1) {
      frame[targets[0]] = value;
      return;
    }
    const List items = value.iterate();
    if (items.size() != targets.size())
      throw TemplateError(0, std::string(items.size() > targets.size() ? "too many" : "not enough") +
                                 " values to unpack (expected " + std::to_string(targets.size()) + ")");
    for (size_t i = 0; i < targets.size(); ++i) frame[targets[i]] = items[i];
  }

  Flow exec_for(const Stmt& s, std::string& out) {
    List items = eval(*s.expr).iterate();
    frames_.emplace_back();
    if (s.condition) {  // `for x in xs if cond`: filtered before loop.length is known
      List kept;
      for (const Value& item : items) {
        bind(frames_.back(), s.targets, item);
        if (eval(*s.condition).truthy()) kept.push_back(item);
      }
      items = std::move(kept);
    }
    const auto n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      if (++iterations_ > limits_.max_loop_iterations)
        throw TemplateError(0, "more than " + std::to_string(limits_.max_loop_iterations) + " loop iterations");
      Dict loop;
      loop.set("index", i + 1);
      loop.set("index0", i);
      loop.set("revindex", n - i);
      loop.set("revindex0", n - i - 1);
      loop.set("first", i == 0);
      loop.set("last", i == n - 1);
      loop.set("length", n);
      loop.set("depth", 1);
      loop.set("depth0", 0);
      loop.set("previtem", i > 0 ? items[static_cast<size_t>(i - 1)] : Value(Undefined{"there is no previous item"}));
      loop.set("nextitem", i + 1 < n ? items[static_cast<size_t>(i + 1)] : Value(Undefined{"there is no next item"}));
      bind(frames_.back(), s.targets, items[static_cast<size_t>(i)]);
      frames_.back()["loop"] = Value(std::move(loop));
      if (exec_body(s.body, out) == Flow::Break) break;
    }
    frames_.pop_back();
    if (n == 0) exec_body(s.else_body, out);
    return Flow::Normal;
  }

  void exec_set(const Stmt& s) {
    Value value = eval(*s.expr);
    if (s.attr.empty()) {
      bind(frames_.back(), s.targets, value);
      return;
    }
    Value target = lookup(s.targets[0]);
    if (!target.is_namespace())
      throw TemplateError(0, "cannot assign attribute on non-namespace object '" + s.targets[0] + "'");
    assigned_.try_emplace(&target.as_namespace(), target);
    target.as_namespace().attrs.set(s.attr, std::move(value));
  }

  void define_macro(const Stmt& s) {
    const Stmt* macro = &s;
    frames_.back()[s.targets[0]] = Value(std::make_shared<Function>(
        Function{s.targets[0], [this, macro](const CallArgs& args) { return call_macro(*macro, args); }}));
  }

  Value call_macro(const Stmt& m, const CallArgs& args) {
    if (args.positional.size() > m.params.size())
      throw TemplateError(0, "macro '" + m.targets[0] + "' takes not more than " +
                                 std::to_string(m.params.size()) + " argument(s)");
    if (call_depth_ >= limits_.max_call_depth)
      throw TemplateError(0, "macro calls nested deeper than " + std::to_string(limits_.max_call_depth));
    const size_t saved_base = base_;
    base_ = frames_.size();
    frames_.emplace_back();
    ++call_depth_;
    std::string out;
    try {
      for (const auto& [k, v] : args.keyword) {
        bool known = false;
        for (const auto& p : m.params) known = known || p.first == k;
        if (!known) throw TemplateError(0, "macro '" + m.targets[0] + "' has no argument named '" + k + "'");
      }
      for (size_t i = 0; i < m.params.size(); ++i) {
        const auto& [name, fallback] = m.params[i];
        const Value* given = args.get(i, name);
        frames_.back()[name] = given ? *given : fallback ? eval(*fallback) : Value(Undefined{"'" + name + "' is undefined"});
      }
      exec_body(m.body, out);
    } catch (...) {
      --call_depth_;
      frames_.resize(base_);
      base_ = saved_base;
      throw;
    }
    --call_depth_;
    frames_.resize(base_);
    base_ = saved_base;
    return out;
  }

  CallArgs eval_args(const Expr& e) {
    CallArgs args;
    for (size_t i = 1; i < e.args.size(); ++i) args.positional.push_back(eval(*e.args[i]));
    for (const auto& [k, v] : e.kwargs) args.keyword.emplace_back(k, eval(*v));
    return args;
  }

  Value eval(const Expr& e) {
    try {
      return eval_node(e);
    } catch (const TemplateError& err) {
      if (err.line() != 0) throw;
      throw TemplateError(e.line, err.what());
    }
  }

  Value eval_call(const Expr& e) {
    const Expr& callee = *e.args[0];
    Value fn;
    if (callee.kind == ExprKind::GetAttr) {
      const Value obj = eval(*callee.args[0]);
      if (obj.is_undefined()) fail_undefined(obj);
      const CallArgs args = eval_args(e);
      if (auto result = call_method(obj, callee.name, args)) return *result;
      fn = get_attr(obj, callee.name);
      if (fn.is_undefined())
        throw TemplateError(0, "'" + obj.type_name() + " object' has no attribute '" + callee.name + "'");
      if (!fn.is_callable()) throw TemplateError(0, "'" + fn.type_name() + "' object is not callable");
      return fn.as_function().call(args);
    }
    fn = eval(callee);
    if (fn.is_undefined()) fail_undefined(fn);
    if (!fn.is_callable()) throw TemplateError(0, "'" + fn.type_name() + "' object is not callable");
    return fn.as_function().call(eval_args(e));
  }

  Value eval_node(const Expr& e) {
    switch (e.kind) {
      case ExprKind::Literal: return e.literal;
      case ExprKind::Name: return lookup(e.name);
      case ExprKind::ListLiteral: {
        List items;
        for (const auto& a : e.args) items.push_back(eval(*a));
        return items;
      }
      case ExprKind::DictLiteral: {
        Dict d;
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          const Value key = eval(*e.args[i]);
          if (!key.is_string()) throw TemplateError(0, "dict keys must be strings in chat templates");
          d.set(key.as_string(), eval(*e.args[i + 1]));
        }
        return d;
      }
      case ExprKind::GetAttr: return get_attr(eval(*e.args[0]), e.name);
      case ExprKind::GetItem: {
        const Value obj = eval(*e.args[0]);
        return get_item(obj, eval(*e.args[1]));
      }
      case ExprKind::Slice: {
        const Value obj = eval(*e.args[0]);
        auto part = [&](size_t i) { return e.args[i] ? eval(*e.args[i]) : Value(); };
        return slice(obj, part(1), part(2), part(3));
      }
      case ExprKind::Call: return eval_call(e);
      case ExprKind::Filter: {
        const Value input = eval(*e.args[0]);
        return apply_filter(e.name, input, eval_args(e));
      }
      case ExprKind::Test: {
        const Value input = eval(*e.args[0]);
        return apply_test(e.name, input, eval_args(e)) != e.negated;
      }
      case ExprKind::Unary: return unary_op(e.name, eval(*e.args[0]));
      case ExprKind::Binary: {
        Value left = eval(*e.args[0]);
        if (e.name == "and") return left.truthy() ? eval(*e.args[1]) : left;
        if (e.name == "or") return left.truthy() ? left : eval(*e.args[1]);
        return binary_op(e.name, left, eval(*e.args[1]));
      }
      case ExprKind::Conditional:
        if (eval(*e.args[1]).truthy()) return eval(*e.args[0]);
        return e.args[2] ? eval(*e.args[2]) : Value(Undefined{"the condition was false and there is no else"});
    }
    return Undefined{};
  }

  const RenderLimits limits_;
  std::vector<Frame> frames_;
  std::unordered_map<const Namespace*, Value> assigned_;  // each holds its namespace until the end
  size_t base_ = 0;  // first frame of the running macro (0 = template level)
  int64_t iterations_ = 0;
  int call_depth_ = 0;
};

}  // namespace

std::string render(const Body& program, const Dict& variables, const RenderLimits& limits) {
  struct LimitScope {
    size_t saved = sequence_limit();
    ~LimitScope() { sequence_limit() = saved; }
  } scope;
  sequence_limit() = limits.max_sequence_length;
  return Interpreter(variables, limits).run(program);
}

}  // namespace ft::jinja
