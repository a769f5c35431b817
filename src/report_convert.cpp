#include "report_convert.hpp"

#include <fmt/format.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "util/process.hpp"

namespace tiendo::cli {

// src/report/reference.docx, embedded at build time (src/report/embed.cmake).
extern const unsigned char kReferenceDocx[];
extern const std::size_t kReferenceDocxSize;

namespace {

namespace fs = std::filesystem;

// A directory of our own (mkdtemp: mode 0700), removed with all it holds.
class PrivateDirectory {
 public:
  PrivateDirectory() = default;
  ~PrivateDirectory() {
    if (path_.empty()) return;
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  PrivateDirectory(const PrivateDirectory&) = delete;
  PrivateDirectory& operator=(const PrivateDirectory&) = delete;

  bool create(std::string& error) {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string name = (base / "tiendo-report-XXXXXX").string();
    if (::mkdtemp(name.data()) == nullptr) {
      error =
          "cannot create a temporary directory in " + base.string() + ": " + std::strerror(errno);
      return false;
    }
    path_ = name;
    return true;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

bool write_file(const fs::path& path, std::string_view bytes, std::string& error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    error = "cannot write " + path.string() + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return bytes;
}

struct Converter {
  std::string program;       // looked up on PATH
  std::string package;       // the Debian package that has it
  std::string product;       // how people call it
  std::string_view magic;    // how the file it writes begins
  bool own_process_group{};  // it starts helper processes
};

// A file: URL of an absolute path, every byte but letters, digits and "-._~/" escaped as
// %XX: $TMPDIR may hold a space, "#" or "%".
std::string file_url(const fs::path& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string url = "file://";
  for (const unsigned char c : path.string()) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (plain || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      url += static_cast<char>(c);
    } else {
      url += '%';
      url += kHex[c >> 4];
      url += kHex[c & 0x0F];
    }
  }
  return url;
}

Converter converter_for(DocumentFormat format) {
  if (format == DocumentFormat::pdf) return {"chromium", "chromium", "Chromium", "%PDF-", true};
  return {"pandoc", "pandoc", "pandoc", "PK\x03\x04", false};
}

std::vector<std::string> arguments(DocumentFormat format, const fs::path& dir, const fs::path& html,
                                   const fs::path& output) {
  if (format == DocumentFormat::pdf) {
    return {
        "chromium",
        "--headless",
        // Chromium's sandbox needs namespaces that a root user or a container may not
        // have. What it renders is our own escaped HTML, whose Content-Security-Policy
        // allows no script and no fetch.
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--user-data-dir=" + (dir / "profile").string(),
        "--no-pdf-header-footer",
        "--print-to-pdf=" + output.string(),
        file_url(html),
    };
  }
  return {
      "pandoc",
      "--from=html",
      "--to=docx",
      // No --sandbox: Debian 12's pandoc 2.17 then cannot find its own docx template
      // ("Could not find data file data/data/docx/[Content_Types].xml"). The HTML is our
      // own and names no image or other file for pandoc to read.
      "--reference-doc=" + (dir / "reference.docx").string(),
      // The HTML's <title> is the PDF's; in Word it would print as a title above the
      // heading.
      "--metadata=title=false",
      "--output=" + output.string(),
      html.string(),
  };
}

}  // namespace

std::string_view to_string(DocumentFormat format) {
  return format == DocumentFormat::pdf ? "pdf" : "docx";
}

std::optional<std::string> convert_document(DocumentFormat format, const std::string& html,
                                            std::chrono::seconds timeout, std::string& error) {
  const Converter converter = converter_for(format);
  PrivateDirectory dir;
  if (!dir.create(error)) return std::nullopt;
  const fs::path input = dir.path() / "report.html";
  const fs::path output = dir.path() / fmt::format("report.{}", to_string(format));
  if (!write_file(input, html, error)) return std::nullopt;
  if (format == DocumentFormat::docx &&
      !write_file(
          dir.path() / "reference.docx",
          std::string_view(reinterpret_cast<const char*>(kReferenceDocx), kReferenceDocxSize),
          error)) {
    return std::nullopt;
  }

  util::ProgramOptions options;
  options.timeout = timeout;
  options.own_process_group = converter.own_process_group;
  const util::ProgramRun run =
      util::run_program(arguments(format, dir.path(), input, output), options);
  switch (run.outcome) {
    case util::ProgramOutcome::not_found:
      error = fmt::format("--format {} needs {}: apt-get install {}", to_string(format),
                          converter.product, converter.package);
      return std::nullopt;
    case util::ProgramOutcome::timed_out:
      error = fmt::format("{} did not finish within {} s", converter.program, timeout.count());
      return std::nullopt;
    default:
      break;
  }
  // What a converter says last is why it failed; Debian's chromium launcher may print
  // a complaint of its own first.
  const std::string detail = util::last_line(run.err);
  if (run.outcome == util::ProgramOutcome::exited && run.exit_status != 0) {
    error = fmt::format("{} exited with status {}{}", converter.program, run.exit_status,
                        detail.empty() ? "" : ": " + detail);
    return std::nullopt;
  }
  if (!run.ok()) {
    error = run.error;
    return std::nullopt;
  }
  std::optional<std::string> bytes = read_file(output);
  if (!bytes || !bytes->starts_with(converter.magic)) {
    error = fmt::format("{} wrote no {}{}", converter.program,
                        format == DocumentFormat::pdf ? "PDF" : "DOCX",
                        detail.empty() ? "" : ": " + detail);
    return std::nullopt;
  }
  return bytes;
}

}  // namespace tiendo::cli
