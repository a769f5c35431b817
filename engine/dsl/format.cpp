#include "dsl/format.hpp"

#include <algorithm>
#include <boost/variant/apply_visitor.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "util/text.hpp"

namespace tiendo::dsl {

namespace {

namespace x3 = ast::x3;

constexpr std::string_view kSpace = " \t\r\f\v";

bool is_space(char c) { return kSpace.find(c) != std::string_view::npos; }

std::string_view trim(std::string_view text) { return util::trim(text, kSpace); }

std::string_view trim_right(std::string_view text) {
  const auto last = text.find_last_not_of(kSpace);
  return last == std::string_view::npos ? std::string_view{} : text.substr(0, last + 1);
}

// ---------------------------------------------------------------------------------------
// Expressions, written from the tree: parentheses only where it has Paren nodes.

void write_expr(std::string& out, const ast::Expr& expr);
void write_condition(std::string& out, const ast::Condition& condition);

void write_number(std::string& out, const ast::NumberLit& number) {
  out += number.text;
  if (number.percent) out += '%';
}

void write_operand(std::string& out, const ast::Operand& operand) {
  boost::apply_visitor(
      [&out](const auto& node) {
        using T = std::decay_t<decltype(node)>;
        if constexpr (std::is_same_v<T, ast::NumberLit>) {
          write_number(out, node);
        } else if constexpr (std::is_same_v<T, ast::DurationLit> || std::is_same_v<T, ast::Name>) {
          out += node.text;
        } else if constexpr (std::is_same_v<T, x3::forward_ast<ast::Unary>>) {
          out += node.get().op;
          write_operand(out, node.get().operand);
        } else if constexpr (std::is_same_v<T, x3::forward_ast<ast::Call>>) {
          out += node.get().function.text;
          out += '(';
          bool first = true;
          for (const ast::Condition& argument : node.get().args) {
            if (!first) out += ", ";
            first = false;
            write_condition(out, argument);
          }
          out += ')';
        } else {
          static_assert(std::is_same_v<T, x3::forward_ast<ast::Paren>>);
          out += '(';
          write_expr(out, node.get().inner);
          out += ')';
        }
      },
      operand.get());
}

void write_term(std::string& out, const ast::Term& term) {
  write_operand(out, term.first);
  for (const ast::Operation& operation : term.rest) {
    out += ' ';
    out += operation.op;
    out += ' ';
    write_operand(out, operation.operand);
  }
}

void write_expr(std::string& out, const ast::Expr& expr) {
  write_term(out, expr.first);
  for (const ast::TermOperation& operation : expr.rest) {
    out += ' ';
    out += operation.op;
    out += ' ';
    write_term(out, operation.term);
  }
}

void write_condition(std::string& out, const ast::Condition& condition) {
  write_expr(out, condition.lhs);
  if (!condition.comparison) return;
  const ast::Comparison& comparison = *condition.comparison;
  out += ' ';
  out += comparison.op;
  out += ' ';
  write_expr(out, comparison.rhs);
  if (comparison.upper) {
    out += " and ";
    write_expr(out, *comparison.upper);
  }
}

// ---------------------------------------------------------------------------------------
// One output line per clause and test item, without indentation or comment.

template <typename List, typename Write>
void write_list(std::string& out, const List& list, std::string_view separator, Write write) {
  bool first = true;
  for (const auto& element : list) {
    if (!first) out += separator;
    first = false;
    write(element);
  }
}

void write_words(std::string& out, const std::vector<ast::Name>& names) {
  write_list(out, names, " ", [&out](const ast::Name& name) { out += name.text; });
}

// `keyword` and then `rest` (trimmed) after a space, if there is any.
std::string keyword_and_rest(std::string_view keyword, std::string_view rest) {
  std::string out(keyword);
  rest = trim(rest);
  if (!rest.empty()) {
    out += ' ';
    out += rest;
  }
  return out;
}

std::string clause_text(const ast::Clause& clause) {
  std::string out = clause.keyword;
  boost::apply_visitor(
      [&out, &clause](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, ast::Strings>) {
          out += ' ';
          write_list(out, value, ", ",
                     [&out](const ast::StringLit& string) { out += quote(string.value); });
        } else if constexpr (std::is_same_v<T, ast::Names>) {
          out += ' ';
          write_list(out, value, ", ", [&out](const ast::Name& name) { out += name.text; });
        } else if constexpr (std::is_same_v<T, ast::DateLit> ||
                             std::is_same_v<T, ast::DurationLit>) {
          out += ' ';
          out += value.text;
        } else if constexpr (std::is_same_v<T, ast::Require>) {
          out += ' ';
          write_condition(out, value.condition);
          if (value.timing) {
            out += ' ';
            out += value.timing->kind;
            out += ' ';
            out += value.timing->date.text;
          }
          if (value.for_each) {
            out += " for each ";
            out += value.for_each->text;
          }
        } else if constexpr (std::is_same_v<T, ast::Label>) {
          out += ' ';
          out += value.key.text;
          out += " = ";
          out += quote(value.value.value);
        } else if constexpr (std::is_same_v<T, ast::Range>) {
          out += ' ';
          write_number(out, value.low);
          out += " .. ";
          write_number(out, value.high);
        } else if constexpr (std::is_same_v<T, ast::x3::forward_ast<ast::Amend>>) {
          out += " from ";
          out += value.get().from.text;
          out += " {";  // its clauses follow on lines of their own
        } else {
          static_assert(std::is_same_v<T, ast::UnknownClause>);
          out = keyword_and_rest(clause.keyword, value.text);
        }
      },
      clause.value.get());
  return out;
}

std::string item_text(const ast::TestItem& item) {
  std::string out;
  boost::apply_visitor(
      [&out](const auto& node) {
        using T = std::decay_t<decltype(node)>;
        if constexpr (std::is_same_v<T, ast::TestUnit>) {
          out = "unit " + node.id.text + ' ' + node.level.text + ' ' + quote(node.title.value);
          if (node.parent) out += " in " + node.parent->text;
          for (std::size_t i = 0; i < node.labels.size(); ++i) {
            out += (i == 0 ? " label " : ", ") + quote(node.labels[i].value);
          }
        } else if constexpr (std::is_same_v<T, ast::TestAt>) {
          out = "at " + node.date.text;
        } else if constexpr (std::is_same_v<T, ast::TestObserve>) {
          out = "observe ";
          write_words(out, node.names);
          out += ' ' + node.period.text + " = ";
          write_number(out, node.value);
        } else if constexpr (std::is_same_v<T, ast::TestStatus>) {
          out = "status " + node.task.text + ' ' + node.status.text + ' ' + node.date.text;
          if (node.progress) {
            out += ' ';
            write_number(out, *node.progress);
          }
        } else if constexpr (std::is_same_v<T, ast::TestExpect>) {
          out = "expect ";
          write_words(out, node.names);
        } else {
          static_assert(std::is_same_v<T, ast::TestUnknown>);
          out = keyword_and_rest(node.keyword, node.text);
        }
      },
      item.get());
  return out;
}

const ast::Node& node_of(const ast::TestItem& item) {
  return boost::apply_visitor([](const auto& node) -> const ast::Node& { return node; },
                              item.get());
}

// ---------------------------------------------------------------------------------------
// Layout with comments.

class Formatter {
 public:
  Formatter(const SourceFile& source, const ast::File& file) : source_(source), file_(file) {}

  std::string run() {
    plan_lines();
    collect_comments();
    emit();
    return std::move(out_);
  }

 private:
  enum class Role {
    single,  // a one-line declaration: include, levels
    header,  // `KIND NAME {` / `test "NAME" {`
    inner,   // a clause or a test item
    close,   // `}`
  };

  struct Line {
    Role role = Role::single;
    std::size_t declaration = 0;
    std::string text;
    // The source bytes the line stands for; a comment after code among them ends it.
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
    std::optional<std::string> comment;
    int depth = 1;  // of an inner line: 2 inside an `amend { }`
  };

  struct Comment {
    std::uint32_t offset = 0;
    std::string text;
    bool blank_before = false;  // a blank line separates it from what precedes it
  };

  // -- planning: the output lines, in source order, each with the source it covers.

  void plan_lines() {
    for (std::size_t index = 0; index < file_.declarations.size(); ++index) {
      boost::apply_visitor([this, index](const auto& node) { plan(index, node); },
                           file_.declarations[index].get());
    }
  }

  void plan(std::size_t index, const ast::Include& include) {
    add_line(Role::single, index, "include " + quote(include.path.value), include.begin,
             include.end);
  }

  void plan(std::size_t index, const ast::Levels& levels) {
    std::string text = "levels ";
    write_list(text, levels.names, " > ", [&text](const ast::Name& name) { text += name.text; });
    add_line(Role::single, index, std::move(text), levels.begin, levels.end);
  }

  void plan(std::size_t index, const ast::Block& block) {
    add_line(Role::header, index, block.kind + ' ' + block.name.text + " {", block.begin,
             open_brace_end(block.name.end));
    plan_clauses(index, block.clauses, 1);
    add_line(Role::close, index, "}", block.end - 1, block.end);
  }

  void plan_clauses(std::size_t index, const std::vector<ast::Clause>& clauses, int depth) {
    for (const ast::Clause& clause : clauses) {
      const auto* amend = boost::get<ast::x3::forward_ast<ast::Amend>>(&clause.value.get());
      if (amend) {
        // `amend from D {`, its clauses one level deeper, and its `}` on lines of their own.
        add_line(Role::inner, index, clause_text(clause), clause.begin,
                 open_brace_end(amend->get().from.end), depth);
        plan_clauses(index, amend->get().clauses, depth + 1);
        add_line(Role::inner, index, "}", clause.end - 1, clause.end, depth);
        continue;
      }
      add_line(Role::inner, index, clause_text(clause), clause.begin, clause.end, depth);
      if (boost::get<ast::UnknownClause>(&clause.value.get()) != nullptr) {
        verbatim_.emplace_back(clause.begin, clause.end);
      }
    }
  }

  void plan(std::size_t index, const ast::TestBlock& test) {
    add_line(Role::header, index, "test " + quote(test.name.value) + " {", test.begin,
             open_brace_end(test.name.end));
    for (const ast::TestItem& item : test.items) {
      const ast::Node& node = node_of(item);
      add_line(Role::inner, index, item_text(item), node.begin, node.end);
      if (boost::get<ast::TestUnknown>(&item.get()) != nullptr) {
        verbatim_.emplace_back(node.begin, node.end);
      }
    }
    add_line(Role::close, index, "}", test.end - 1, test.end);
  }

  void add_line(Role role, std::size_t declaration, std::string text, std::uint32_t begin,
                std::uint32_t end, int depth = 1) {
    lines_.push_back({role, declaration, std::move(text), begin, end, std::nullopt, depth});
  }

  // One past the `{` that follows a block's name (only blanks and comments come between).
  std::uint32_t open_brace_end(std::uint32_t from) const {
    const std::string& text = source_.text;
    std::size_t i = from;
    while (i < text.size() && text[i] != '{') {
      if (text[i] == '#') {
        i = text.find('\n', i);
        if (i == std::string::npos) break;
      }
      ++i;
    }
    return static_cast<std::uint32_t>(std::min(i + 1, text.size()));
  }

  // -- comments: found in the text, then tied to a line or kept for before a line.

  void collect_comments() {
    const std::string& text = source_.text;
    std::sort(verbatim_.begin(), verbatim_.end());
    std::size_t next_verbatim = 0;
    std::size_t i = 0;
    while (i < text.size()) {
      // The text of an unknown clause is reprinted as it is, `#` and all.
      if (next_verbatim < verbatim_.size() && verbatim_[next_verbatim].first <= i) {
        i = std::max<std::size_t>(i, verbatim_[next_verbatim].second);
        ++next_verbatim;
        continue;
      }
      const char c = text[i];
      if (c == '"') {
        i = skip_string(i);
      } else if (c == '#') {
        std::size_t end = text.find('\n', i);
        if (end == std::string::npos) end = text.size();
        take_comment(static_cast<std::uint32_t>(i),
                     std::string(trim_right(std::string_view(text).substr(i, end - i))));
        i = end;
      } else {
        ++i;
      }
    }
  }

  // Past the string literal that starts at `quote` (a string never spans lines).
  std::size_t skip_string(std::size_t quote_at) const {
    const std::string& text = source_.text;
    std::size_t i = quote_at + 1;
    while (i < text.size() && text[i] != '"' && text[i] != '\n') {
      if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] != '\n') ++i;
      ++i;
    }
    return i < text.size() && text[i] == '"' ? i + 1 : i;
  }

  void take_comment(std::uint32_t offset, std::string text) {
    const std::string& source = source_.text;
    std::size_t code = offset;
    while (code > 0 && is_space(source[code - 1])) --code;
    if (code > 0 && source[code - 1] != '\n') {
      // After code: the line whose source holds that code gets it, if still free.
      const std::uint32_t at = static_cast<std::uint32_t>(code - 1);
      auto it = std::upper_bound(
          lines_.begin(), lines_.end(), at,
          [](std::uint32_t value, const Line& line) { return value < line.begin; });
      if (it != lines_.begin()) {
        Line& line = *std::prev(it);
        if (at < line.end && !line.comment) {
          line.comment = std::move(text);
          return;
        }
      }
      standalone_.push_back({offset, std::move(text), false});
      return;
    }
    standalone_.push_back({offset, std::move(text), blank_line_before(offset)});
  }

  // Whether the line before the one holding `offset` is empty or blank.
  bool blank_line_before(std::uint32_t offset) const {
    const auto& starts = source_.line_starts;
    const auto line = static_cast<std::size_t>(
        std::upper_bound(starts.begin(), starts.end(), offset) - starts.begin() - 1);
    if (line == 0) return false;
    const std::string_view previous =
        std::string_view(source_.text)
            .substr(starts[line - 1], starts[line] - 1 - starts[line - 1]);
    return trim(previous).empty();
  }

  // -- output

  void emit() {
    for (const Line& line : lines_) {
      if (line.role == Role::single || line.role == Role::header) {
        if (line.declaration > 0 && !grouped(line.declaration)) blank();
        if (flush_comments(line.begin, 0, false) && blank_line_before(line.begin)) blank();
        write_line(0, line.text, line.comment);
      } else if (line.role == Role::inner) {
        flush_comments(line.begin, 2 * line.depth, true);
        write_line(2 * line.depth, line.text, line.comment);
      } else {
        flush_comments(line.begin, 2, true);
        write_line(0, line.text, line.comment);
      }
      block_start_ =
          line.role == Role::header || (line.role == Role::inner && line.text.ends_with("{"));
    }
    flush_comments(std::numeric_limits<std::uint32_t>::max(), 0, false);
  }

  // Consecutive one-line declarations of one kind (include lines) stay together.
  bool grouped(std::size_t declaration) const {
    const auto& previous = file_.declarations[declaration - 1].get();
    const auto& current = file_.declarations[declaration].get();
    return previous.which() == current.which() && (boost::get<ast::Include>(&current) != nullptr ||
                                                   boost::get<ast::Levels>(&current) != nullptr);
  }

  // Writes the comments kept for before `limit`; returns whether there were any.
  bool flush_comments(std::uint32_t limit, int indent, bool in_block) {
    bool any = false;
    while (next_comment_ < standalone_.size() && standalone_[next_comment_].offset < limit) {
      const Comment& comment = standalone_[next_comment_++];
      if (comment.blank_before && !(in_block && block_start_)) blank();
      write_line(indent, comment.text, std::nullopt);
      block_start_ = false;
      any = true;
    }
    return any;
  }

  void write_line(int indent, std::string_view text, const std::optional<std::string>& comment) {
    out_.append(static_cast<std::size_t>(indent), ' ');
    out_ += text;
    if (comment) {
      out_ += "  ";
      out_ += *comment;
    }
    out_ += '\n';
  }

  void blank() {
    if (!out_.empty() && !out_.ends_with("\n\n")) out_ += '\n';
  }

  const SourceFile& source_;
  const ast::File& file_;
  std::vector<Line> lines_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> verbatim_;
  std::vector<Comment> standalone_;  // in source order
  std::size_t next_comment_ = 0;
  bool block_start_ = false;  // the last line written opened a block
  std::string out_;
};

}  // namespace

std::string quote(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string format_expr(const ast::Expr& expr) {
  std::string out;
  write_expr(out, expr);
  return out;
}

std::string format_condition(const ast::Condition& condition) {
  std::string out;
  write_condition(out, condition);
  return out;
}

std::string format(const SourceSet& sources, const ast::File& file) {
  return Formatter(sources.file(file.source), file).run();
}

}  // namespace tiendo::dsl
