#include "dsl/dump.hpp"

#include <boost/variant/apply_visitor.hpp>
#include <string_view>

#include "dsl/format.hpp"

namespace tiendo::dsl {

namespace {

// The dump quotes strings exactly as the formatter writes them.
void write_quoted(std::string& out, std::string_view value) { out += quote(value); }

// Clause keywords are words, or words joined by single spaces ("stale after").
void write_keyword(std::string& out, std::string_view keyword) {
  if (keyword.empty() || keyword.find_first_of(" ()\"") != std::string_view::npos) {
    write_quoted(out, keyword);
  } else {
    out += keyword;
  }
}

class Dumper {
 public:
  explicit Dumper(std::string& out) : out_(out) {}

  void declaration(const ast::Declaration& declaration) {
    boost::apply_visitor([this](const auto& node) { write(node); }, declaration.get());
  }

 private:
  void write(const ast::Include& include) {
    out_ += "(include ";
    write_quoted(out_, include.path.value);
    out_ += ')';
  }

  void write(const ast::Levels& levels) {
    out_ += "(levels";
    for (const ast::Name& name : levels.names) space_then(name.text);
    out_ += ')';
  }

  void write(const ast::Block& block) {
    out_ += '(';
    out_ += block.kind;
    space_then(block.name.text);
    write_clauses(block.clauses);
    out_ += ')';
  }

  void write_clauses(const std::vector<ast::Clause>& clauses) {
    for (const ast::Clause& clause : clauses) {
      out_ += " (";
      write_keyword(out_, clause.keyword);
      boost::apply_visitor([this](const auto& value) { write_value(value); }, clause.value.get());
      out_ += ')';
    }
  }

  void write(const ast::TestBlock& test) {
    out_ += "(test ";
    write_quoted(out_, test.name.value);
    for (const ast::TestItem& item : test.items) {
      out_ += ' ';
      boost::apply_visitor([this](const auto& node) { write_item(node); }, item.get());
    }
    out_ += ')';
  }

  // Clause values, written after the clause keyword.
  void write_value(const ast::Strings& strings) {
    out_ += " (strings";
    for (const ast::StringLit& string : strings) {
      out_ += ' ';
      write_quoted(out_, string.value);
    }
    out_ += ')';
  }
  void write_value(const ast::Names& names) {
    out_ += " (names";
    for (const ast::Name& name : names) space_then(name.text);
    out_ += ')';
  }
  void write_value(const ast::DateLit& date) {
    out_ += ' ';
    write_date(date);
  }
  void write_value(const ast::DurationLit& duration) {
    out_ += " (duration";
    space_then(duration.text);
    out_ += ')';
  }
  void write_value(const ast::Require& require) {
    out_ += ' ';
    write_condition(require.condition);
    if (require.timing) {
      out_ += " (";
      out_ += require.timing->kind;
      out_ += ' ';
      write_date(require.timing->date);
      out_ += ')';
    }
    if (require.for_each) {
      out_ += " (for_each";
      space_then(require.for_each->text);
      out_ += ')';
    }
  }
  void write_value(const ast::Label& label) {
    out_ += " (label";
    space_then(label.key.text);
    out_ += ' ';
    write_quoted(out_, label.value.value);
    out_ += ')';
  }
  void write_value(const ast::Range& range) {
    out_ += " (range ";
    write_node(range.low);
    out_ += ' ';
    write_node(range.high);
    out_ += ')';
  }
  void write_value(const ast::x3::forward_ast<ast::Amend>& amend) {
    out_ += " (from";
    space_then(amend.get().from.text);
    out_ += ')';
    write_clauses(amend.get().clauses);
  }
  void write_value(const ast::UnknownClause& unknown) {
    out_ += " (unknown ";
    write_quoted(out_, trimmed(unknown.text));
    out_ += ')';
  }

  void write_item(const ast::TestUnit& unit) {
    out_ += "(unit";
    space_then(unit.id.text);
    space_then(unit.level.text);
    out_ += ' ';
    write_quoted(out_, unit.title.value);
    if (unit.parent) {
      out_ += " (in";
      space_then(unit.parent->text);
      out_ += ')';
    }
    if (!unit.labels.empty()) {
      out_ += " (label";
      for (const ast::StringLit& label : unit.labels) {
        out_ += ' ';
        write_quoted(out_, label.value);
      }
      out_ += ')';
    }
    out_ += ')';
  }
  void write_item(const ast::TestAt& at) {
    out_ += "(at ";
    write_date(at.date);
    out_ += ')';
  }
  void write_item(const ast::TestObserve& observe) {
    out_ += "(observe (names";
    for (const ast::Name& name : observe.names) space_then(name.text);
    out_ += ") ";
    write_date(observe.period);
    out_ += ' ';
    write_number(observe.value);
    out_ += ')';
  }
  void write_item(const ast::TestStatus& status) {
    out_ += "(status";
    space_then(status.task.text);
    space_then(status.status.text);
    out_ += ' ';
    write_date(status.date);
    if (status.progress) {
      out_ += ' ';
      write_number(*status.progress);
    }
    out_ += ')';
  }
  void write_item(const ast::TestExpect& expect) {
    out_ += "(expect";
    for (const ast::Name& name : expect.names) space_then(name.text);
    out_ += ')';
  }
  void write_item(const ast::TestUnknown& unknown) {
    out_ += "(unknown ";
    write_keyword(out_, unknown.keyword);
    out_ += ' ';
    write_quoted(out_, trimmed(unknown.text));
    out_ += ')';
  }

  void write_date(const ast::DateLit& date) {
    out_ += "(date";
    space_then(date.text);
    out_ += ')';
  }

  void write_number(const ast::NumberLit& number) {
    out_ += "(num";
    space_then(number.text);
    if (number.percent) out_ += " %";
    out_ += ')';
  }

  void write_condition(const ast::Condition& condition) {
    out_ += "(cond ";
    write_expr(condition.lhs);
    if (condition.comparison) {
      const ast::Comparison& comparison = *condition.comparison;
      out_ += " (";
      out_ += comparison.op;
      out_ += ' ';
      write_expr(comparison.rhs);
      if (comparison.upper) {
        out_ += ' ';
        write_expr(*comparison.upper);
      }
      out_ += ')';
    }
    out_ += ')';
  }

  void write_expr(const ast::Expr& expr) {
    out_ += "(expr ";
    write_term(expr.first);
    for (const ast::TermOperation& operation : expr.rest) {
      out_ += " (";
      out_ += operation.op;
      out_ += ' ';
      write_term(operation.term);
      out_ += ')';
    }
    out_ += ')';
  }

  void write_term(const ast::Term& term) {
    out_ += "(term ";
    write_operand(term.first);
    for (const ast::Operation& operation : term.rest) {
      out_ += " (";
      out_ += operation.op;
      out_ += ' ';
      write_operand(operation.operand);
      out_ += ')';
    }
    out_ += ')';
  }

  void write_operand(const ast::Operand& operand) {
    boost::apply_visitor([this](const auto& node) { write_node(node); }, operand.get());
  }

  void write_node(const ast::NumberLit& number) { write_number(number); }
  void write_node(const ast::DurationLit& duration) {
    out_ += "(dur";
    space_then(duration.text);
    out_ += ')';
  }
  void write_node(const ast::Name& name) {
    out_ += "(name";
    space_then(name.text);
    out_ += ')';
  }
  void write_node(const ast::x3::forward_ast<ast::Unary>& unary) {
    out_ += "(unary ";
    out_ += unary.get().op;
    out_ += ' ';
    write_operand(unary.get().operand);
    out_ += ')';
  }
  void write_node(const ast::x3::forward_ast<ast::Call>& call) {
    out_ += "(call";
    space_then(call.get().function.text);
    for (const ast::Condition& argument : call.get().args) {
      out_ += ' ';
      write_condition(argument);
    }
    out_ += ')';
  }
  void write_node(const ast::x3::forward_ast<ast::Paren>& paren) {
    out_ += "(paren ";
    write_expr(paren.get().inner);
    out_ += ')';
  }

  void space_then(std::string_view word) {
    out_ += ' ';
    out_ += word;
  }

  // Unknown clause text runs to the end of the line; the spaces around it carry no
  // meaning and the formatter does not keep them.
  static std::string_view trimmed(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r\f\v";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
  }

  std::string& out_;
};

}  // namespace

std::string dump(const ast::File& file) {
  std::string out;
  Dumper dumper(out);
  for (const ast::Declaration& declaration : file.declarations) {
    dumper.declaration(declaration);
    out += '\n';
  }
  return out;
}

}  // namespace tiendo::dsl
