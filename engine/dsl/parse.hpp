// Reading and parsing rules files. Public entry points of the parser:
//   - `parse` parses one file already held in a SourceSet;
//   - `load` reads files (and directories of *.rules), follows `include`s and parses all.
// Neither throws for bad input: problems are diagnostics.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
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

struct LoadOptions {
  FileReader reader = read_file;
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
