// Every node of a syntax tree, in no particular order: `for_each_node(file, f)` calls
// f(ast::Node&) on each (a declaration, a clause, a name, an operand…). The parse cache
// (dsl/parse.hpp) moves a reused declaration's positions with it; tests compare positions.
#pragma once

#include <optional>
#include <vector>

#include "dsl/ast.hpp"

namespace tiendo::dsl {

namespace detail {

template <class F>
struct NodeWalker {
  F& f;

  template <class T>
  void operator()(std::vector<T>& items) const {
    for (T& item : items) (*this)(item);
  }
  template <class T>
  void operator()(std::optional<T>& item) const {
    if (item) (*this)(*item);
  }
  template <class T>
  void operator()(ast::x3::forward_ast<T>& item) const {
    (*this)(item.get());
  }
  void operator()(ast::Operand& x) const { boost::apply_visitor(*this, x.get()); }
  void operator()(ast::ClauseValue& x) const { boost::apply_visitor(*this, x.get()); }
  void operator()(ast::TestItem& x) const { boost::apply_visitor(*this, x.get()); }
  void operator()(ast::Declaration& x) const { boost::apply_visitor(*this, x.get()); }

  void operator()(ast::Name& x) const { f(x); }
  void operator()(ast::StringLit& x) const { f(x); }
  void operator()(ast::NumberLit& x) const { f(x); }
  void operator()(ast::DateLit& x) const { f(x); }
  void operator()(ast::DurationLit& x) const { f(x); }
  void operator()(ast::UnknownClause& x) const { f(x); }
  void operator()(ast::TestUnknown& x) const { f(x); }
  void operator()(ast::Operation& x) const {
    f(x);
    (*this)(x.operand);
  }
  void operator()(ast::Term& x) const {
    f(x);
    (*this)(x.first);
    (*this)(x.rest);
  }
  void operator()(ast::TermOperation& x) const {
    f(x);
    (*this)(x.term);
  }
  void operator()(ast::Expr& x) const {
    f(x);
    (*this)(x.first);
    (*this)(x.rest);
  }
  void operator()(ast::Unary& x) const {
    f(x);
    (*this)(x.operand);
  }
  void operator()(ast::Paren& x) const {
    f(x);
    (*this)(x.inner);
  }
  void operator()(ast::Comparison& x) const {
    f(x);
    (*this)(x.rhs);
    (*this)(x.upper);
  }
  void operator()(ast::Condition& x) const {
    f(x);
    (*this)(x.lhs);
    (*this)(x.comparison);
  }
  void operator()(ast::Call& x) const {
    f(x);
    (*this)(x.function);
    (*this)(x.args);
  }
  void operator()(ast::Timing& x) const {
    f(x);
    (*this)(x.date);
  }
  void operator()(ast::Require& x) const {
    f(x);
    (*this)(x.condition);
    (*this)(x.timing);
    (*this)(x.for_each);
  }
  void operator()(ast::Label& x) const {
    f(x);
    (*this)(x.key);
    (*this)(x.value);
  }
  void operator()(ast::Range& x) const {
    f(x);
    (*this)(x.low);
    (*this)(x.high);
  }
  void operator()(ast::Amend& x) const {
    f(x);
    (*this)(x.from);
    (*this)(x.clauses);
  }
  void operator()(ast::Clause& x) const {
    f(x);
    (*this)(x.value);
  }
  void operator()(ast::Block& x) const {
    f(x);
    (*this)(x.name);
    (*this)(x.clauses);
  }
  void operator()(ast::Levels& x) const {
    f(x);
    (*this)(x.names);
  }
  void operator()(ast::Include& x) const {
    f(x);
    (*this)(x.path);
  }
  void operator()(ast::TestUnit& x) const {
    f(x);
    (*this)(x.id);
    (*this)(x.level);
    (*this)(x.title);
    (*this)(x.parent);
    (*this)(x.labels);
  }
  void operator()(ast::TestAt& x) const {
    f(x);
    (*this)(x.date);
  }
  void operator()(ast::TestObserve& x) const {
    f(x);
    (*this)(x.names);
    (*this)(x.period);
    (*this)(x.value);
  }
  void operator()(ast::TestStatus& x) const {
    f(x);
    (*this)(x.task);
    (*this)(x.status);
    (*this)(x.date);
    (*this)(x.progress);
  }
  void operator()(ast::TestExpect& x) const {
    f(x);
    (*this)(x.names);
  }
  void operator()(ast::TestBlock& x) const {
    f(x);
    (*this)(x.name);
    (*this)(x.items);
  }
};

}  // namespace detail

template <class F>
void for_each_node(std::vector<ast::Declaration>& declarations, F&& f) {
  detail::NodeWalker<F> walk{f};
  walk(declarations);
}

template <class F>
void for_each_node(ast::File& file, F&& f) {
  for_each_node(file.declarations, f);
}

}  // namespace tiendo::dsl
