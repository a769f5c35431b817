// End-to-end: `tiendo report --format pdf|docx` on the examples in a real database, through
// the binary, with Debian's Chromium and pandoc; then the files are opened as a reader
// would: the PDF's text through pdftotext (poppler-utils) and its first page drawn by
// pdftoppm as a test artifact (TIENDO_ARTIFACT_DIR/report-document.png), the DOCX's
// word/document.xml through unzip. Also: the HTML form of the same heading, a converter
// missing from PATH (an error naming the Debian package, no file written), and stand-in
// converters on PATH that hang, fail or write nothing. Every run of the binary is bounded
// in time, and nothing it started may outlive it. (Not a Cli* suite: the time-zone reruns
// of tests/CMakeLists.txt would run Chromium three times for dates given on the command
// line.)
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/run.hpp"
#include "support/child_process.hpp"
#include "support/test_store.hpp"

namespace tiendo::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kSource = TIENDO_SOURCE_DIR;
// Chromium takes 2–8 s on a loaded 2-core machine; the binary's own bound is 90 s.
constexpr auto kRunLimit = 150s;

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// Runs `argv` (argv[0] a path) with standard output piped and standard error to a file,
// for at most `limit`; killed after it.
RunResult run_bounded(const std::vector<std::string>& argv, const std::string& scratch,
                      std::chrono::seconds limit = kRunLimit) {
  const std::string log = scratch + "/stderr.log";
  RunResult result;
  ChildProcess child(argv, ChildProcessOptions{.pipe_stdout = true, .log = log, .environment = {}});
  const std::optional<std::string> out = child.read_all(limit);
  result.out = out.value_or("");
  result.exit_code = out ? child.finish(30s) : child.terminate(5s);
  result.err = read_text(log);
  if (!out) result.err += "\n(killed after " + std::to_string(limit.count()) + " s)";
  return result;
}

// The processes (not zombies, which have no command line) whose command line mentions
// `needle`.
std::vector<std::string> processes_mentioning(const std::string& needle) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(),
                                     [](unsigned char c) { return std::isdigit(c) != 0; })) {
      continue;
    }
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(needle) != std::string::npos) found.push_back(name + ": " + cmdline);
  }
  return found;
}

std::size_t entries_in(const std::string& directory) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(directory)) {
    (void)entry;
    ++count;
  }
  return count;
}

// The text of a DOCX's word/document.xml: a paragraph or a line break a line, runs joined,
// XML entities read.
std::string docx_text(const std::string& xml) {
  std::string text = std::regex_replace(xml, std::regex("</w:p>|<w:br ?/>"), "\n");
  text = std::regex_replace(text, std::regex("<[^>]*>"), "");
  for (const auto& [entity, c] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}}) {
    text = std::regex_replace(text, std::regex(entity), c);
  }
  return text;
}

// What the heading options below must put into every form of the document.
const std::vector<std::string> kHeadingArgs = {"--issuer",    "Ban Chỉ đạo chuyển đổi số",
                                               "--number",    "123/BC-BCĐ",
                                               "--issued-on", "05/12/2026",
                                               "--sign-as",   "TM. Ban Chỉ đạo",
                                               "--sign-as",   "Trưởng ban",
                                               "--signer",    "Nguyễn Văn A",
                                               "--recipient", "UBND tỉnh (b/c)",
                                               "--recipient", "Lưu: VT, STTTT"};

const std::vector<std::string> kDocumentTexts = {
    "UBND TỈNH ĐỒNG NAI",
    "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Số: 123/BC-BCĐ",
    "Đồng Nai, ngày 05 tháng 12 năm 2026",
    "BÁO CÁO",
    "Tiến độ thực hiện mục tiêu, chỉ tiêu đến ngày 30/9/2022",
    "Tình hình thực hiện các mục tiêu, chỉ tiêu",
    "Kết quả",
    "Trạng thái",
    "Phát triển hạ tầng số",
    "Đúng tiến độ",
    "Nhiệm vụ quá hạn, bị chặn, chưa báo cáo hoặc có nguy cơ trễ hạn",
    "Xây dựng Cổng dữ liệu mở",
    "Nơi nhận:",
    "- UBND tỉnh (b/c);",
    "TM. BAN CHỈ ĐẠO",
    "TRƯỞNG BAN",
    "Nguyễn Văn A",
};

class ReportAsDocument : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test_store(dir_.path(), "examples.db");
    const RunResult ingest = ingest_examples(db_);
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
    // A space, "#" and "%" in $TMPDIR, which the file: URL given to Chromium must escape.
    tmp_ = dir_.path() + "/tmp #1 %20";
    fs::create_directories(tmp_);
  }

  // `tiendo report` on the examples at 30/9/2022 with `args`, TMPDIR set to tmp_ and, when
  // `path` is given, PATH set to it.
  RunResult report(const std::vector<std::string>& args,
                   const std::optional<std::string>& path = std::nullopt) {
    std::vector<std::string> argv = {"/usr/bin/env", "TMPDIR=" + tmp_, "NO_COLOR=1"};
    if (path) argv.push_back("PATH=" + *path);
    for (const std::string& a :
         {std::string(TIENDO_BINARY), std::string("report"), std::string("--db"), db_,
          std::string("--rules"), kSource + "/rules", std::string("--at"),
          std::string("2022-09-30")}) {
      argv.push_back(a);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return run_bounded(argv, dir_.path());
  }

  // A directory for PATH holding one executable `name` with `script` as its body.
  std::string stand_in(const std::string& name, const std::string& script) {
    const std::string bin = dir_.path() + "/bin-" + name;
    fs::create_directories(bin);
    write_text(bin + "/" + name, "#!/bin/sh\n" + script);
    ::chmod((bin + "/" + name).c_str(), 0755);
    return bin;
  }

  // Nothing of the conversion is left: the private directory under TMPDIR is gone and no
  // process names it.
  void expect_nothing_left() {
    EXPECT_EQ(entries_in(tmp_), 0u) << "a temporary file or directory was left in " << tmp_;
    const std::vector<std::string> left = processes_mentioning(tmp_);
    EXPECT_TRUE(left.empty()) << left.size() << " processes left, the first: " << left.front();
  }

  TempDir dir_;
  std::string db_;
  std::string tmp_;
};

TEST_F(ReportAsDocument, PdfHasTheHeadingTheTableAndTheSignature) {
  if (!executable("/usr/bin/chromium")) GTEST_SKIP() << "/usr/bin/chromium is not installed";
  if (!executable("/usr/bin/pdftotext") || !executable("/usr/bin/pdftoppm")) {
    GTEST_SKIP() << "poppler-utils (pdftotext, pdftoppm) is not installed";
  }
  const std::string pdf = dir_.path() + "/bao-cao.pdf";
  std::vector<std::string> args = {"--format", "pdf", "--output", pdf, "--converter-timeout", "90"};
  args.insert(args.end(), kHeadingArgs.begin(), kHeadingArgs.end());
  const auto started = std::chrono::steady_clock::now();
  const RunResult run = report(args);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  RecordProperty("seconds", std::to_string(std::chrono::duration<double>(took).count()));
  ASSERT_EQ(read_text(pdf).rfind("%PDF-", 0), 0u);
  expect_nothing_left();

  // The text as laid out (the heading's two columns side by side), and as it flows with
  // every run of blanks made one space (a table cell's lines one after the other).
  const RunResult text = run_bounded({"/usr/bin/pdftotext", "-layout", pdf, "-"}, dir_.path(), 60s);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const RunResult flow = run_bounded({"/usr/bin/pdftotext", pdf, "-"}, dir_.path(), 60s);
  ASSERT_EQ(flow.exit_code, 0) << flow.err;
  const std::string flowing = std::regex_replace(flow.out, std::regex("\\s+"), " ");
  for (const std::string& expected : kDocumentTexts) {
    EXPECT_TRUE(text.out.find(expected) != std::string::npos ||
                flowing.find(expected) != std::string::npos)
        << expected << "\nin:\n"
        << text.out << "\nor:\n"
        << flowing;
  }
  EXPECT_NE(text.out.find("Tỷ lệ dân số có điện thoại thông minh"), std::string::npos);
  // The targets' trend charts, drawn in the PDF: their legends' words and the deadline's
  // label are text in it (issue #19).
  for (const std::string_view word : {"Số liệu", "Dự báo", "Hạn 31/12/2022"}) {
    EXPECT_NE(flowing.find(word), std::string::npos) << word;
  }
  // The heading: the issuer on the left of the motto, on the same line.
  const std::size_t motto = text.out.find("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
  const std::size_t line = text.out.rfind('\n', motto) + 1;
  EXPECT_NE(text.out.substr(line, motto - line).find("UBND TỈNH ĐỒNG NAI"), std::string::npos)
      << text.out.substr(0, 600);
  // A4 portrait (595 × 842 points, which Chromium rounds its own way).
  const RunResult info = run_bounded({"/usr/bin/pdfinfo", pdf}, dir_.path(), 60s);
  EXPECT_TRUE(
      std::regex_search(info.out, std::regex("Page size: +59[0-9.]+ x 84[0-9.]+ pts \\(A4\\)")))
      << info.out;

  // The first page, drawn, kept for people to look at.
  const fs::path artifacts = TIENDO_ARTIFACT_DIR;
  fs::create_directories(artifacts);
  const fs::path screenshot = artifacts / "report-document.png";
  std::error_code ec;
  fs::remove(screenshot, ec);  // judge this run's file, not an older one
  const RunResult drawn =
      run_bounded({"/usr/bin/pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                   pdf, (artifacts / "report-document").string()},
                  dir_.path(), 60s);
  ASSERT_EQ(drawn.exit_code, 0) << drawn.err;
  const std::string png = read_text(screenshot.string());
  ASSERT_EQ(png.rfind("\x89PNG\r\n\x1a\n", 0), 0u) << screenshot;
  EXPECT_GT(png.size(), 10u * 1024) << screenshot;
  RecordProperty("artifact", screenshot.string());
}

TEST_F(ReportAsDocument, DocxHasTheHeadingTheTableAndTheSignature) {
  if (!executable("/usr/bin/pandoc")) GTEST_SKIP() << "/usr/bin/pandoc is not installed";
  if (!executable("/usr/bin/unzip")) GTEST_SKIP() << "/usr/bin/unzip is not installed";
  const std::string docx = dir_.path() + "/bao-cao.docx";
  std::vector<std::string> args = {"--format", "docx", "--output", docx};
  args.insert(args.end(), kHeadingArgs.begin(), kHeadingArgs.end());
  const RunResult run = report(args);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  ASSERT_EQ(read_text(docx).rfind("PK\x03\x04", 0), 0u);
  expect_nothing_left();

  const RunResult xml =
      run_bounded({"/usr/bin/unzip", "-p", docx, "word/document.xml"}, dir_.path(), 60s);
  ASSERT_EQ(xml.exit_code, 0) << xml.err;
  const std::string text = docx_text(xml.out);
  for (const std::string& expected : kDocumentTexts) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\nin:\n" << text;
  }
  // No title above the heading: the document starts with it.
  EXPECT_EQ(xml.out.find("w:val=\"Title\""), std::string::npos);
  EXPECT_EQ(text.find_first_not_of("\n"), text.find("UBND TỈNH ĐỒNG NAI")) << text.substr(0, 300);
  // The motto's slogan underlined, the heading centred, the page A4 with the decree's
  // margins, and Times New Roman from the embedded reference document.
  EXPECT_TRUE(std::regex_search(
      xml.out, std::regex("<w:u w:val=\"single\" />(<[^>]*>)*Độc lập - Tự do - Hạnh phúc")))
      << xml.out.substr(0, 4000);
  EXPECT_NE(xml.out.find("<w:jc w:val=\"center\" />"), std::string::npos);
  EXPECT_NE(xml.out.find("<w:pgSz w:h=\"16838\" w:w=\"11906\" />"), std::string::npos);
  EXPECT_NE(xml.out.find("w:left=\"1701\""), std::string::npos);
  const RunResult theme =
      run_bounded({"/usr/bin/unzip", "-p", docx, "word/theme/theme1.xml"}, dir_.path(), 60s);
  EXPECT_NE(theme.out.find("<a:latin typeface=\"Times New Roman\" />"), std::string::npos);
}

TEST_F(ReportAsDocument, HtmlCarriesTheSameHeadingWhenAsked) {
  std::vector<std::string> args = {"--format", "html"};
  args.insert(args.end(), kHeadingArgs.begin(), kHeadingArgs.end());
  const RunResult document = report(args);
  ASSERT_EQ(document.exit_code, 0) << document.err;
  EXPECT_NE(document.out.find("<b>BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ</b>"), std::string::npos);
  EXPECT_NE(document.out.find("<i>Đồng Nai, ngày 05 tháng 12 năm 2026</i>"), std::string::npos);
  EXPECT_NE(document.out.find("<p><b>TM. BAN CHỈ ĐẠO<br>TRƯỞNG BAN</b></p>"), std::string::npos);

  // --document alone: the heading from the data.
  const RunResult defaults = report({"--format", "html", "--document"});
  ASSERT_EQ(defaults.exit_code, 0) << defaults.err;
  EXPECT_NE(defaults.out.find("<b>UBND TỈNH ĐỒNG NAI</b>"), std::string::npos);
  EXPECT_NE(defaults.out.find("<i>Đồng Nai, ngày 30 tháng 9 năm 2022</i>"), std::string::npos);
  EXPECT_NE(defaults.out.find("<p><b>TM. ỦY BAN NHÂN DÂN<br>CHỦ TỊCH</b></p>"), std::string::npos);

  // Without either, the page it always was.
  const RunResult page = report({"--format", "html"});
  ASSERT_EQ(page.exit_code, 0) << page.err;
  EXPECT_EQ(page.out.find("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), std::string::npos);
  EXPECT_NE(page.out.find("<svg class=\"bar\""), std::string::npos);

  // Markdown and CSV have no heading to put it in.
  const RunResult md = report({"--issuer", "Ban Chỉ đạo"});
  EXPECT_EQ(md.exit_code, 2);
  EXPECT_EQ(md.err, "tiendo report: --issuer is for --format html, pdf or docx\n");
  const RunResult csv = report({"--format", "csv", "--document"});
  EXPECT_EQ(csv.exit_code, 2);
  EXPECT_EQ(csv.err, "tiendo report: --document is for --format html, pdf or docx\n");
  const RunResult timeout = report({"--format", "html", "--converter-timeout", "5"});
  EXPECT_EQ(timeout.exit_code, 2);
  EXPECT_EQ(timeout.err, "tiendo report: --converter-timeout is for --format pdf or docx\n");
  const RunResult date = report({"--format", "html", "--issued-on", "31/02/2026"});
  EXPECT_EQ(date.exit_code, 2);
  EXPECT_EQ(date.err.rfind("tiendo report: --issued-on: ", 0), 0u) << date.err;
}

TEST_F(ReportAsDocument, AMissingConverterIsNamedWithItsPackageAndNoFileIsWritten) {
  const std::string empty = dir_.path() + "/empty-bin";
  fs::create_directories(empty);
  const std::string pdf = dir_.path() + "/bao-cao.pdf";
  const RunResult no_chromium = report({"--format", "pdf", "--output", pdf}, empty);
  EXPECT_EQ(no_chromium.exit_code, 1);
  EXPECT_EQ(no_chromium.err,
            "tiendo report: --format pdf needs Chromium: apt-get install chromium\n");
  EXPECT_FALSE(fs::exists(pdf));

  // An older file stays as it was.
  const std::string docx = dir_.path() + "/bao-cao.docx";
  write_text(docx, "the report of last month");
  const RunResult no_pandoc = report({"--format", "docx", "--output", docx}, empty);
  EXPECT_EQ(no_pandoc.exit_code, 1);
  EXPECT_EQ(no_pandoc.err, "tiendo report: --format docx needs pandoc: apt-get install pandoc\n");
  EXPECT_EQ(read_text(docx), "the report of last month");
  expect_nothing_left();
}

TEST_F(ReportAsDocument, AConverterThatHangsIsKilledWithWhatItStarted) {
  // The stand-in starts a helper and waits, as Chromium's browser process does; the
  // helper's argument marks both, and this process's id makes it this run's alone (another
  // run of the suite, a sanitizer build, may be at the same test).
  const std::string marker = std::to_string(100000 + ::getpid()) + ".25";
  const std::string bin =
      stand_in("chromium", "/bin/sleep " + marker + " &\n/bin/sleep " + marker + "\n");
  const std::string pdf = dir_.path() + "/bao-cao.pdf";
  const auto started = std::chrono::steady_clock::now();
  const RunResult run = report({"--format", "pdf", "--output", pdf, "--converter-timeout", "1"},
                               bin + ":/usr/bin:/bin");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "tiendo report: chromium did not finish within 1 s\n");
  EXPECT_FALSE(fs::exists(pdf));
  const std::vector<std::string> left = processes_mentioning("sleep " + marker);
  EXPECT_TRUE(left.empty()) << left.front();
  expect_nothing_left();
}

TEST_F(ReportAsDocument, AConverterThatFailsOrWritesNothingIsReported) {
  const std::string pdf = dir_.path() + "/bao-cao.pdf";
  const std::string failing = stand_in("chromium",
                                       "echo '/usr/bin/chromium: 9: [: unexpected operator' >&2\n"
                                       "echo 'ERROR: cannot open display' >&2\nexit 3\n");
  const RunResult failed = report({"--format", "pdf", "--output", pdf}, failing + ":/usr/bin:/bin");
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_EQ(failed.err,
            "tiendo report: chromium exited with status 3: ERROR: cannot open display\n");
  EXPECT_FALSE(fs::exists(pdf));

  const std::string silent = stand_in("pandoc", "exit 0\n");
  const std::string docx = dir_.path() + "/bao-cao.docx";
  const RunResult nothing =
      report({"--format", "docx", "--output", docx}, silent + ":/usr/bin:/bin");
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_EQ(nothing.err, "tiendo report: pandoc wrote no DOCX\n");
  EXPECT_FALSE(fs::exists(docx));
  expect_nothing_left();
}

// Standard output that is no terminal (a pipe, a file) takes the PDF as it is; a stand-in
// Chromium writes what it was asked to print, so that the test checks tiendo alone.
TEST_F(ReportAsDocument, APdfGoesToStandardOutputWhenItIsNoTerminal) {
  const std::string bin = stand_in("chromium",
                                   "for a; do case \"$a\" in --print-to-pdf=*) printf '%%PDF-1.4 "
                                   "stand-in' > \"${a#--print-to-pdf=}\";; esac; done\n");
  const RunResult run = report({"--format", "pdf"}, bin + ":/usr/bin:/bin");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "%PDF-1.4 stand-in");
  expect_nothing_left();
}

// On a terminal the binary file is refused, before anything is evaluated or converted.
// script(1) (bsdutils, essential in Debian) gives the binary a terminal.
TEST_F(ReportAsDocument, ADocumentIsNotWrittenToATerminal) {
  if (!executable("/usr/bin/script")) GTEST_SKIP() << "/usr/bin/script is not installed";
  const std::string command = shell_quote(TIENDO_BINARY) + " report --db " + shell_quote(db_) +
                              " --rules " + shell_quote(kSource + "/rules") + " --format docx";
  const RunResult run =
      run_bounded({"/usr/bin/script", "-qec", command, "/dev/null"}, dir_.path(), 60s);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.out.find("tiendo report: --format docx writes a binary file: give --output FILE, "
                         "or redirect standard output"),
            std::string::npos)
      << run.out << run.err;
  EXPECT_EQ(run.out.find("PK"), std::string::npos);
}

}  // namespace
}  // namespace tiendo::testing
