#include "dsl/parse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "dsl/config.hpp"
#include "dsl/grammar.hpp"
#include "util/text.hpp"

namespace tiendo::dsl {

namespace x3 = boost::spirit::x3;
namespace fs = std::filesystem;

namespace {

constexpr std::array kDeclarationKeywords = {"levels", "indicator", "plan", "task",   "channel",
                                             "rule",   "set",       "test", "include"};

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

const char* skip_blank(const char* pos, const char* end) {
  x3::parse(pos, end, *parser::skipper);
  return pos;
}

// How many characters of a word a syntax error quotes; a longer word ends in "…".
constexpr std::size_t kShownWordCharacters = 40;

// A letter, digit or `_` of a word as a syntax error quotes it: ASCII name characters and
// letters beyond ASCII (Vietnamese, with their combining marks), not punctuation such as
// `≥` or `…`.
bool is_word_character(char32_t c) {
  if (c < 0x80) return is_identifier_char(static_cast<char>(c));
  return c >= 0xC0 && c != 0xD7 && c != 0xF7 && c != 0xFFFD && !(c >= 0x2000 && c <= 0x2BFF);
}

// What stands at `pos`, for "found ..." in a syntax error: a whole word (`Quý`, not `Qu`),
// a string, the end of a line, or one character; never part of a character.
std::string describe_token(const char* pos, const char* end) {
  if (pos == end) return "end of file";
  if (*pos == '"') return "a string";
  if (*pos == '\n' || *pos == '\r') return "end of line";
  const std::string_view rest(pos, static_cast<std::size_t>(end - pos));
  std::size_t length = 0;
  const char32_t first = util::decode_utf8(rest, length);
  if (first == 0xFFFD && length == 1) {
    return fmt::format("the byte 0x{:02X}", static_cast<unsigned char>(*pos));
  }
  if (!is_word_character(first)) return fmt::format("'{}'", rest.substr(0, length));
  std::size_t stop = 0;
  std::size_t characters = 0;
  while (stop < rest.size()) {
    std::size_t next = stop;
    const char32_t c = util::decode_utf8(rest, next);
    if (!is_word_character(c)) break;
    if (characters == kShownWordCharacters && !util::is_combining_mark(c)) {
      return fmt::format("'{}…'", rest.substr(0, stop));
    }
    if (!util::is_combining_mark(c)) ++characters;
    stop = next;
  }
  return fmt::format("'{}'", rest.substr(0, stop));
}

std::string first_word(const char* pos, const char* end) {
  const char* stop = pos;
  while (stop != end && is_identifier_char(*stop)) ++stop;
  return std::string(pos, stop);
}

bool starts_declaration(const char* pos, const char* end) {
  const std::string word = first_word(pos, end);
  return std::find(kDeclarationKeywords.begin(), kDeclarationKeywords.end(), word) !=
         kDeclarationKeywords.end();
}

// The start of the first line after `pos` that begins a declaration: its first token
// is a declaration keyword, or it starts unindented with a word (a misspelt keyword, as
// declarations are written flush left and clauses indented).
const char* recover(const char* pos, const char* end) {
  while (pos != end) {
    pos = std::find(pos, end, '\n');
    if (pos == end) return end;
    ++pos;
    if (pos != end && ((*pos >= 'a' && *pos <= 'z') || (*pos >= 'A' && *pos <= 'Z'))) return pos;
    const char* token = pos;
    while (token != end && (*token == ' ' || *token == '\t' || *token == '\r')) ++token;
    if (starts_declaration(token, end)) return token;
  }
  return end;
}

void report_invalid_utf8(const SourceSet& sources, std::uint32_t file, Diagnostics& diagnostics) {
  const std::string_view text = sources.file(file).text;
  std::size_t from = 0;
  int reported = 0;
  while (from < text.size()) {
    const auto bad = util::find_invalid_utf8(text.substr(from));
    if (!bad) break;
    const std::size_t offset = from + *bad;
    if (++reported > 20) break;
    diagnostics.error(Code::invalid_utf8, {file, static_cast<std::uint32_t>(offset)},
                      fmt::format("invalid UTF-8 (byte 0x{:02X}); save the file as UTF-8",
                                  static_cast<unsigned char>(text[offset])));
    const std::size_t next_line = text.find('\n', offset);
    if (next_line == std::string_view::npos) break;
    from = next_line + 1;
  }
}

}  // namespace

ast::File parse(const SourceSet& sources, std::uint32_t file, Diagnostics& diagnostics) {
  ast::File result;
  result.source = file;
  const std::string& text = sources.file(file).text;
  if (text.size() > kMaxFileSize) {
    diagnostics.error(Code::file_too_large, {file, 0, false},
                      fmt::format("the file is {} bytes; a rules file may be at most {} MiB",
                                  text.size(), kMaxFileSize / (1024 * 1024)));
    return result;
  }
  report_invalid_utf8(sources, file, diagnostics);

  const char* const begin = text.data();
  const char* const end = begin + text.size();
  parser::ParseState state;
  state.begin = begin;
  state.file = file;
  const auto grammar = x3::with<parser::parse_state_tag>(std::ref(state))[declaration_parser()];
  const auto location = [&](const char* at) {
    return Location{file, static_cast<std::uint32_t>(at - begin)};
  };

  std::size_t errors = 0;
  const char* pos = skip_blank(begin, end);
  while (pos != end) {
    if (errors >= kMaxErrorsPerFile) {
      diagnostics.error(
          Code::too_many_errors, location(pos),
          fmt::format("too many errors ({}); the rest of the file was not read", errors));
      break;
    }
    const char* const start = pos;
    ast::Declaration declaration;
    try {
      if (x3::phrase_parse(pos, end, grammar, parser::skipper, declaration)) {
        result.declarations.push_back(std::move(declaration));
        pos = skip_blank(pos, end);
        continue;
      }
      std::string message = fmt::format(
          "expected a declaration (levels, indicator, plan, task, channel, rule, set, test "
          "or include), found {}",
          describe_token(start, end));
      const std::string word = first_word(start, end);
      if (!word.empty()) {
        std::vector<std::string> keywords(kDeclarationKeywords.begin(), kDeclarationKeywords.end());
        if (auto suggestion = util::closest_match(word, keywords)) {
          message += fmt::format("; did you mean '{}'?", *suggestion);
        }
      }
      diagnostics.error(Code::syntax, location(start), std::move(message));
    } catch (const x3::expectation_failure<parser::iterator_type>& failure) {
      const char* where = failure.where();
      if (failure.which() == "a closing quote") {
        diagnostics.error(Code::syntax, location(where),
                          "unterminated string: expected a closing quote before the end of the "
                          "line");
      } else {
        where = skip_blank(where, end);
        // Every expectation point is a named rule or a literal; a compound parser's
        // which() is a mangled type name, never shown to a person.
        const std::string expected = failure.which().find("boost") == std::string::npos
                                         ? failure.which()
                                         : std::string("something else");
        diagnostics.error(
            Code::syntax, location(where),
            fmt::format("expected {}, found {}", expected, describe_token(where, end)));
      }
    } catch (const parser::NestingTooDeep& failure) {
      diagnostics.error(Code::nesting_too_deep, location(failure.where),
                        fmt::format("expressions nest deeper than {} levels", parser::kMaxNesting));
    }
    ++errors;
    state.depth = 0;
    pos = recover(start, end);
  }

  for (const parser::LimitViolation& violation : state.violations) {
    if (violation.kind == 0) {
      diagnostics.error(Code::name_too_long, {file, violation.offset},
                        fmt::format("a name is {} characters long; the limit is {}",
                                    violation.length, parser::kMaxNameLength));
    } else {
      diagnostics.error(Code::string_too_long, {file, violation.offset},
                        fmt::format("a string is {} bytes long; the limit is {}", violation.length,
                                    parser::kMaxStringLength));
    }
  }
  return result;
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) {
    error = ec.message();
    return std::nullopt;
  }
  if (size > kMaxFileSize) {
    error = fmt::format("the file is {} bytes; a rules file may be at most {} MiB", size,
                        kMaxFileSize / (1024 * 1024));
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open the file";
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    error = "read error";
    return std::nullopt;
  }
  return std::move(buffer).str();
}

namespace {

class Loader {
 public:
  explicit Loader(const LoadOptions& options) : options_(options) {}

  // Loads a file given by the user (or included at `from`, a location in the includer).
  void load_file(const std::string& path, std::optional<Location> from) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(fs::path(path), ec);
    if (ec) canonical = fs::absolute(fs::path(path), ec).lexically_normal();
    const std::string key = canonical.string();

    const auto on_stack = std::find(stack_.begin(), stack_.end(), key);
    if (on_stack != stack_.end()) {
      std::string chain;
      for (auto it = on_stack; it != stack_.end(); ++it) {
        chain += display_.at(*it) + " \u2192 ";
      }
      chain += display_.at(key);
      program_.diagnostics.error(Code::include_cycle, *from,
                                 fmt::format("include cycle: {}", chain));
      return;
    }
    if (loaded_.contains(key)) return;
    loaded_.insert(key);

    std::string error;
    std::optional<std::string> text = options_.reader(path, error);
    if (!text) {
      const std::string message = fmt::format("cannot read '{}': {}", path, error);
      if (from) {
        program_.diagnostics.error(Code::unreadable_file, *from, message);
      } else {
        program_.diagnostics.error(Code::unreadable_file, {0, 0, false}, message).location.file =
            static_cast<std::uint32_t>(-1);
      }
      return;
    }
    parse_and_follow(path, key, std::move(*text));
  }

  void parse_and_follow(const std::string& path, const std::string& key, std::string text) {
    display_[key] = path;
    const std::uint32_t index = program_.sources.add(path, std::move(text));
    program_.files.push_back(parse(program_.sources, index, program_.diagnostics));
    stack_.push_back(key);
    // Copy the includes out: loading them appends to program_.files.
    std::vector<ast::Include> includes;
    for (const ast::Declaration& declaration : program_.files.back().declarations) {
      if (const auto* include = boost::get<ast::Include>(&declaration)) {
        includes.push_back(*include);
      }
    }
    for (const ast::Include& include : includes) {
      fs::path target(include.path.value);
      if (target.is_relative()) target = fs::path(path).parent_path() / target;
      load_file(target.lexically_normal().string(), Location{index, include.path.begin});
    }
    stack_.pop_back();
  }

  Program take() { return std::move(program_); }
  Program& program() { return program_; }

 private:
  const LoadOptions& options_;
  Program program_;
  std::vector<std::string> stack_;
  std::set<std::string> loaded_;
  std::map<std::string, std::string> display_;
};

}  // namespace

Program load(const std::vector<std::string>& paths, const LoadOptions& options) {
  Loader loader(options);
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(path, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".rules") {
          found.push_back(it->path().string());
        }
      }
      if (ec) {
        loader.program()
            .diagnostics
            .error(Code::unreadable_file, {0, 0, false},
                   fmt::format("cannot read the directory '{}': {}", path, ec.message()))
            .location.file = static_cast<std::uint32_t>(-1);
      }
      std::sort(found.begin(), found.end());
      for (const std::string& file : found) loader.load_file(file, std::nullopt);
    } else {
      loader.load_file(path, std::nullopt);
    }
  }
  return loader.take();
}

std::vector<std::string> with_test_files(const std::vector<std::string>& paths) {
  std::vector<std::string> all = paths;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) continue;
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().extension() == ".tests") {
        found.push_back(it->path().string());
      }
    }
    // An unreadable directory is reported by the loader, which reads it for *.rules.
    std::sort(found.begin(), found.end());
    all.insert(all.end(), found.begin(), found.end());
  }
  return all;
}

Program load_text(const std::string& path, std::string text, const LoadOptions& options) {
  Loader loader(options);
  std::error_code ec;
  fs::path canonical = fs::absolute(fs::path(path), ec).lexically_normal();
  loader.parse_and_follow(path, canonical.string(), std::move(text));
  return loader.take();
}

}  // namespace tiendo::dsl
