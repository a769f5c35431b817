// Reading and parsing rules files. Public entry points of the parser:
//   - `parse` parses one file already held in a SourceSet;
//   - `load` reads files (and directories of *.rules), follows `include`s and parses all.
// Neither throws for bad input: problems are diagnostics.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/diagnostic.hpp"
#include "dsl/source.hpp"

namespace tiendo::dsl {

inline constexpr std::size_t kMaxFileSize = 16 * 1024 * 1024;
// Parsing a file stops after this many errors (with an E025 saying so).
inline constexpr std::size_t kMaxErrorsPerFile = 100;

// Parses the file `file` of `sources`. Every syntax error is reported (the parser
// resumes at the next line that starts a declaration), with invalid UTF-8, lengths and
// nesting beyond the language's limits. The returned file holds every declaration that
// parsed. Thread-safe for distinct SourceSets.
ast::File parse(const SourceSet& sources, std::uint32_t file, Diagnostics& diagnostics);

// Reads a file's bytes; returns nullopt and sets `error` if it cannot.
using FileReader =
    std::function<std::optional<std::string>(const std::string& path, std::string& error)>;

// The default reader: the file system, refusing files over kMaxFileSize before reading.
std::optional<std::string> read_file(const std::string& path, std::string& error);

// A file parsed again after an edit re-parses only the declarations whose text changed:
// the file is cut where declarations begin (flush left, outside any block), and the
// declarations of each piece, given back once the tree of the text before is no longer
// needed, are taken again — moved, not copied — where the same piece of text stands in
// the new one. What parse() returns is what parse() without a cache returns for the same
// text: a new piece with anything to report (a syntax error, a limit) makes the whole file
// parsed as parse() does. The language server keeps one per session (a keystroke's
// diagnostics in a 10,000-rule file: bench_lsp). Not thread-safe.
class ParseCache {
 public:
  ast::File parse(const SourceSet& sources, std::uint32_t file, Diagnostics& diagnostics);
  // The tree parse() returned for `sources`' file, whose pieces the next parse of the same
  // path may take. A tree of another text (an older one) is ignored.
  void give_back(const SourceSet& sources, ast::File&& file);
  // How many pieces the last parse took from what was given back.
  std::size_t reused() const { return reused_; }

 private:
  struct Piece {
    std::uint32_t start = 0;  // where its positions count it
    std::uint32_t file = 0;
    std::vector<ast::Declaration> declarations;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  using Pieces = std::unordered_multimap<std::string, Piece, Hash, std::equal_to<>>;
  // How the text last parsed at a path was cut: each piece's offset and declarations.
  struct Cuts {
    std::string text;
    std::vector<std::pair<std::uint32_t, std::size_t>> pieces;  // (start, declarations)
  };
  std::unordered_map<std::string, Pieces> given_;  // by path
  std::unordered_map<std::string, Cuts> cuts_;     // by path
  std::size_t reused_ = 0;
};

struct LoadOptions {
  FileReader reader = read_file;
  // When given, files are parsed through it (the language server's).
  ParseCache* cache = nullptr;
};

// Everything read for one rule set: the texts, their syntax trees (in load order) and
// what the parser had to say.
struct Program {
  SourceSet sources;
  std::vector<ast::File> files;
  Diagnostics diagnostics;
};

// Loads each path (a file, or a directory searched recursively for *.rules in name
// order) and the files they include, each file once. Include paths are relative to the
// including file. An include cycle is an E008 error naming the chain.
Program load(const std::vector<std::string>& paths, const LoadOptions& options = {});

// The paths `tiendo test` and the service load: each as given (a directory brings its
// *.rules), and a directory's *.tests files after them (recursively, in name order).
std::vector<std::string> with_test_files(const std::vector<std::string>& paths);

// Parses `text` as the file `path` (includes are read through `options.reader`).
Program load_text(const std::string& path, std::string text, const LoadOptions& options = {});

}  // namespace tiendo::dsl
