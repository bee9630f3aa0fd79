// The parsed form of a Jinja template: expression and statement nodes with their template line.
// One node struct per family keeps the tree simple; which fields a kind uses is listed below.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "text/jinja_value.h"

namespace ft::jinja {

enum class ExprKind {
  Literal,      // literal
  Name,         // name
  ListLiteral,  // args = items (tuples are lists too)
  DictLiteral,  // args = key0, value0, key1, value1, ...
  GetAttr,      // args[0] = object, name = attribute
  GetItem,      // args[0] = object, args[1] = key
  Slice,        // args[0] = object, args[1..3] = start, stop, step (null when absent)
  Call,         // args[0] = callee, args[1..] = positional, kwargs
  Filter,       // name = filter, args[0] = input, args[1..] = positional, kwargs
  Test,         // name = test, args[0] = input, args[1..] = positional, negated = `is not`
  Unary,        // name = "-", "+" or "not", args[0]
  Binary,       // name = operator ("+", "==", "in", "not in", "and", "~", ...), args[0], args[1]
  Conditional,  // args[0] = value, args[1] = condition, args[2] = else value (null: undefined)
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind;
  int line;
  Value literal;
  std::string name;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  bool negated = false;
};

enum class StmtKind {
  Text,      // text
  Output,    // expr
  If,        // branches (condition, body); else_body
  For,       // targets, expr = iterable, condition = `if` filter (may be null), body, else_body
  Set,       // targets (one name, or several to unpack), or targets[0] + attr; expr = value
  SetBlock,  // targets[0], body: captures the rendered body
  Macro,     // targets[0] = name, params (name, default or null), body
  Break,
  Continue,
  Scope,     // body rendered in place (transformers' {% generation %} block)
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  StmtKind kind;
  int line;
  std::string text;
  ExprPtr expr;
  ExprPtr condition;
  std::vector<std::string> targets;
  std::string attr;
  std::vector<std::pair<ExprPtr, Body>> branches;
  std::vector<std::pair<std::string, ExprPtr>> params;
  Body body;
  Body else_body;
};

}  // namespace ft::jinja
