// The committee's report as a file to send: its document HTML (report::document_html)
// printed to PDF by headless Chromium, or read into DOCX by pandoc, each run as a child
// process (util::run_program) in a private temporary directory. Here in src/, not in
// engine/report: the report module only makes strings, and files, PATH and other programs
// are the command line's business (docs/architecture.md).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tiendo::cli {

enum class DocumentFormat { pdf, docx };

// "pdf" or "docx".
std::string_view to_string(DocumentFormat format);

// The bytes of the converted file. On failure nullopt and `error` set to one line:
// "--format pdf needs Chromium: apt-get install chromium" when `chromium` is not on PATH
// ("--format docx needs pandoc: apt-get install pandoc" likewise), "chromium did not finish
// within 120 s" (it is killed, with the helper processes it started), "chromium exited
// with status 1: <last line of its standard error>", "chromium wrote no PDF: <the same>". The
// temporary directory (under $TMPDIR, else /tmp; mode 0700) and everything in it, the
// browser's profile included, are removed before returning. Writes nothing else.
std::optional<std::string> convert_document(DocumentFormat format, const std::string& html,
                                            std::chrono::seconds timeout, std::string& error);

}  // namespace tiendo::cli
