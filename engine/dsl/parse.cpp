#include "dsl/parse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "dsl/ast_walk.hpp"
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

namespace {

// The declarations from `from` to `to` of the file `file` (whose text starts at `begin`:
// positions count from there), parse's loop: each declaration, or an error and the
// parser's recovery at the next line that begins one. Counts the errors in `errors`.
void parse_span(std::uint32_t file, const char* begin, const char* from, const char* to,
                std::vector<ast::Declaration>& out, Diagnostics& diagnostics, std::size_t& errors,
                parser::ParseState& state) {
  const auto grammar = x3::with<parser::parse_state_tag>(std::ref(state))[declaration_parser()];
  const auto location = [&](const char* at) {
    return Location{file, static_cast<std::uint32_t>(at - begin)};
  };
  const char* const end = to;
  const char* pos = skip_blank(from, end);
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
        out.push_back(std::move(declaration));
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
}

// The limits the grammar saw exceeded (names, strings), as errors.
void report_violations(std::uint32_t file, const parser::ParseState& state,
                       Diagnostics& diagnostics) {
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
  parser::ParseState state;
  state.begin = begin;
  state.file = file;
  std::size_t errors = 0;
  parse_span(file, begin, begin, begin + text.size(), result.declarations, diagnostics, errors,
             state);
  report_violations(file, state, diagnostics);
  return result;
}

namespace {

// Where the parse cache cuts a file: at each line that begins a declaration (its first
// word a declaration keyword, flush left) outside any block — braces counted outside
// strings and comments —, where the parser would start one anyway. Offsets of the pieces'
// starts; the first is 0.
std::vector<std::size_t> piece_starts(std::string_view text) {
  std::vector<std::size_t> starts{0};
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"' || c == '\n') {
        in_string = false;
      }
      continue;
    }
    if (c == '#') {
      const std::size_t eol = text.find('\n', i);
      if (eol == std::string_view::npos) break;
      i = eol - 1;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      depth = std::max(0, depth - 1);
    } else if (c == '\n' && depth == 0 && i + 1 < text.size() &&
               starts_declaration(text.data() + i + 1, text.data() + text.size())) {
      starts.push_back(i + 1);
    }
  }
  return starts;
}

}  // namespace

ast::File ParseCache::parse(const SourceSet& sources, std::uint32_t file,
                            Diagnostics& diagnostics) {
  const SourceFile& source = sources.file(file);
  const std::string& text = source.text;
  reused_ = 0;
  Pieces given = std::move(given_[source.path]);
  given_.erase(source.path);
  cuts_.erase(source.path);
  // An oversized file, or one with a byte that is not UTF-8: parsed whole, as it will be
  // reported.
  if (text.size() > kMaxFileSize || util::find_invalid_utf8(text)) {
    return dsl::parse(sources, file, diagnostics);
  }
  ast::File result;
  result.source = file;
  const std::vector<std::size_t> starts = piece_starts(text);
  Cuts cuts;
  cuts.pieces.reserve(starts.size());
  const char* const begin = text.data();
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const std::size_t from = starts[i];
    const std::size_t to = i + 1 < starts.size() ? starts[i + 1] : text.size();
    const std::string_view piece(begin + from, to - from);
    Piece found;
    if (auto hit = given.find(piece); hit != given.end()) {
      found = std::move(hit->second);
      given.erase(hit);
      ++reused_;
    } else {
      // Parsed where it stands, so its positions are the file's. Anything the parser has
      // to say (an error, a limit exceeded) depends on what follows: the whole file is
      // parsed as parse() does.
      Diagnostics said;
      std::size_t errors = 0;
      parser::ParseState state;
      state.begin = begin;
      state.file = file;
      parse_span(file, begin, begin + from, begin + to, found.declarations, said, errors, state);
      if (!said.empty() || !state.violations.empty()) return dsl::parse(sources, file, diagnostics);
      found.start = static_cast<std::uint32_t>(from);
      found.file = file;
    }
    // Moved with its text: every node's position by the distance, in this file.
    const auto delta = static_cast<std::int64_t>(from) - static_cast<std::int64_t>(found.start);
    if (delta != 0 || found.file != file) {
      for_each_node(found.declarations, [&](ast::Node& node) {
        node.file = file;
        node.begin = static_cast<std::uint32_t>(node.begin + delta);
        node.end = static_cast<std::uint32_t>(node.end + delta);
      });
    }
    cuts.pieces.emplace_back(static_cast<std::uint32_t>(from), found.declarations.size());
    std::move(found.declarations.begin(), found.declarations.end(),
              std::back_inserter(result.declarations));
  }
  cuts.text = text;
  cuts_[source.path] = std::move(cuts);
  return result;
}

void ParseCache::give_back(const SourceSet& sources, ast::File&& file) {
  if (file.source >= sources.size()) return;
  const SourceFile& source = sources.file(file.source);
  const auto found = cuts_.find(source.path);
  if (found == cuts_.end() || found->second.text != source.text) return;
  Cuts cuts = std::move(found->second);
  cuts_.erase(found);
  std::size_t total = 0;
  for (const auto& [start, count] : cuts.pieces) total += count;
  if (total != file.declarations.size()) return;
  Pieces& pieces = given_[source.path];
  pieces.clear();
  auto next = file.declarations.begin();
  for (std::size_t i = 0; i < cuts.pieces.size(); ++i) {
    const auto [start, count] = cuts.pieces[i];
    const std::size_t end =
        i + 1 < cuts.pieces.size() ? cuts.pieces[i + 1].first : cuts.text.size();
    Piece piece{start, file.source, {}};
    piece.declarations.assign(std::make_move_iterator(next),
                              std::make_move_iterator(next + static_cast<std::ptrdiff_t>(count)));
    next += static_cast<std::ptrdiff_t>(count);
    pieces.emplace(cuts.text.substr(start, end - start), std::move(piece));
  }
  file.declarations.clear();
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
    program_.files.push_back(
        options_.cache ? options_.cache->parse(program_.sources, index, program_.diagnostics)
                       : parse(program_.sources, index, program_.diagnostics));
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
