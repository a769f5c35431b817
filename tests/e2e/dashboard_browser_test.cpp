// The dashboard in a real browser: Debian's headless Chromium loads `/` of the real
// `tiendo serve` (the example data, dashboard_public = true) with every host but
// 127.0.0.1 unresolvable. The DOM it builds must show the Vietnamese sections, every rule
// of the example rule set and the plan graph; its screenshot is kept as a test artifact
// (TIENDO_ARTIFACT_DIR/dashboard.png), and the DOM of the run that took it must show the
// same text. With ?lang=en (issue #16) the DOM is the English page. Skipped, saying so,
// when Chromium is not installed.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "dsl/check.hpp"
#include "e2e/run.hpp"
#include "support/child_process.hpp"
#include "support/page_language.hpp"
#include "support/serve_process.hpp"

namespace tiendo::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kSetsid = "/usr/bin/setsid";
constexpr const char* kDot = "/usr/bin/dot";
constexpr auto kBrowserTimeout = 60s;
constexpr std::uintmax_t kMinScreenshotBytes = 20 * 1024;
constexpr std::string_view kPngMagic = "\x89PNG\r\n\x1a\n";

bool executable(const char* path) { return ::access(path, X_OK) == 0; }

// The last `lines` lines of a file, for failure messages.
std::string tail_of(const std::string& path, std::size_t lines = 30) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "(no " + path + ")";
  const std::string text = read_text(path);
  std::size_t start = text.size();
  for (std::size_t n = 0; start > 0 && n <= lines; --start) {
    if (text[start - 1] == '\n') ++n;
  }
  return text.substr(start);
}

// Text as Chromium's serializer writes it in the DOM it dumps.
std::string dom_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The processes (not zombies: those have no command line) whose command line mentions
// `needle`.
std::vector<pid_t> processes_mentioning(const std::string& needle) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    const auto digit = [](unsigned char c) { return std::isdigit(c) != 0; };
    if (name.empty() || !std::all_of(name.begin(), name.end(), digit)) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    const std::string cmdline((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    if (cmdline.find(needle) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

struct BrowserRun {
  bool timed_out = false;
  int exit_code = -1;
  std::string out;                 // standard output (the DOM with --dump-dom)
  std::string log;                 // standard error's file
  std::vector<pid_t> left_behind;  // processes of this run still there after it, killed

  std::string describe() const {
    return "chromium " +
           std::string(timed_out ? "timed out" : "exited " + std::to_string(exit_code)) +
           "; the end of its log (" + log + "):\n" + tail_of(log);
  }
};

// Runs headless Chromium once, with its own fresh profile under `directory` (`name`
// tells runs apart), in a session of its own so that the zygote, GPU and renderer
// processes it starts can be killed with it. Bounded by kBrowserTimeout; nothing of it
// runs any more on return.
BrowserRun run_chromium(const std::string& directory, const std::string& name,
                        const std::vector<std::string>& arguments) {
  BrowserRun run;
  const std::string profile = directory + "/chromium-profile-" + name;
  run.log = directory + "/chromium-" + name + ".log";
  std::vector<std::string> argv = {
      kSetsid, kChromium, "--headless=new",
      "--no-sandbox",  // the tests run as root in CI
      "--disable-gpu", "--no-first-run", "--disable-extensions", "--user-data-dir=" + profile,
      // Any fetch from elsewhere than the service fails.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--virtual-time-budget=5000"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());

  ChildProcess child(argv,
                     ChildProcessOptions{.pipe_stdout = true, .log = run.log, .environment = {}});
  // setsid execs Chromium in place (a forked child leads no process group): the
  // child's id is its process group's.
  const pid_t group = child.pid();
  const auto deadline = SteadyClock::now() + kBrowserTimeout;
  std::optional<std::string> out;
  while (!out && SteadyClock::now() < deadline) {
    out = child.read_all(250ms);
    // The browser process has written all it will; helpers may still hold the pipe.
    if (!out && !child.running()) {
      ::kill(-group, SIGKILL);
      out = child.read_all(5s);
      break;
    }
  }
  run.timed_out = !out && child.running();
  run.out = out.value_or("");
  run.exit_code = child.wait_exit(run.timed_out ? 0ms : 5s);
  if (run.exit_code == -2) {
    run.timed_out = true;
    run.exit_code = child.terminate(0ms);
  }
  ::kill(-group, SIGKILL);

  // Whatever left the group (or was not in it) still names the profile.
  const auto settle = SteadyClock::now() + 5s;
  while (!(run.left_behind = processes_mentioning(profile)).empty() &&
         SteadyClock::now() < settle) {
    std::this_thread::sleep_for(50ms);
  }
  for (pid_t pid : run.left_behind) ::kill(pid, SIGKILL);
  return run;
}

// Every http:// or https:// address in `text` that is not of `own_origin`, one a line.
std::string outside_addresses(const std::string& text, const std::string& own_origin) {
  std::string found;
  for (std::string_view scheme : {"http://", "https://"}) {
    for (std::size_t at = text.find(scheme); at != std::string::npos;
         at = text.find(scheme, at + 1)) {
      const std::size_t end = at + own_origin.size();
      const bool own = text.compare(at, own_origin.size(), own_origin) == 0 &&
                       (end == text.size() ||
                        std::string_view("/\"' <").find(text[end]) != std::string_view::npos);
      if (!own) found += text.substr(at, std::min<std::size_t>(80, text.size() - at)) + "\n";
    }
  }
  return found;
}

// The text of the dashboard in a DOM Chromium built: the Vietnamese sections, a run's
// results (not the page shown before any evaluation, nor the error page), and each rule of
// the example rule set by its title (its name when it has none) and its name, as
// rule_row writes them.
void expect_shows_the_example(const std::string& dom) {
  ASSERT_NE(dom.find("</html>"), std::string::npos) << "DOM:\n" << dom;
  for (std::string_view heading : {"<h1>Bảng theo dõi tiến độ</h1>", "<h2>Tổng quan</h2>",
                                   "<h2>Chỉ tiêu</h2>", "<h2>Cảnh báo đang kích hoạt</h2>",
                                   "<h2>Nhiệm vụ theo hạn</h2>", "<h2>Sơ đồ kế hoạch</h2>"}) {
    EXPECT_NE(dom.find(heading), std::string::npos) << heading;
  }
  EXPECT_EQ(dom.find("Chưa có lần đánh giá nào"), std::string::npos);
  EXPECT_EQ(dom.find("Không dựng được trang"), std::string::npos);
  EXPECT_NE(dom.find("role=\"progressbar\""), std::string::npos);

  dsl::LoadedRuleSet loaded = dsl::load_rule_set({std::string(TIENDO_SOURCE_DIR) + "/rules"});
  ASSERT_TRUE(loaded.rule_set.has_value());
  ASSERT_FALSE(loaded.rule_set->rules.empty());
  for (const model::Rule& rule : loaded.rule_set->rules) {
    const std::string& shown = rule.title.empty() ? rule.name : rule.title;
    // Its title links to its page (at its unit when it has one), its name under it.
    const std::size_t link = dom.find("<a href=\"rules/" + rule.name);
    EXPECT_NE(link, std::string::npos) << rule.name;
    EXPECT_NE(
        dom.find(">" + dom_text(shown) + "</a></div><code>" + dom_text(rule.name) + "</code>"),
        std::string::npos)
        << rule.name << " (" << shown << ")";
  }
}

class DashboardBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!executable(kChromium)) GTEST_SKIP() << kChromium << " is not installed";
    if (!executable(kSetsid)) GTEST_SKIP() << kSetsid << " is not installed";
    const std::string database = dir_.path() + "/tiendo.db";
    const RunResult ingested = ingest_examples(database);
    ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
    ServeSetup setup;
    setup.binary = TIENDO_BINARY;
    setup.directory = dir_.path();
    setup.database = database;
    setup.top_level = "dashboard_public = true";
    setup.schedule = catch_up_schedule();  // the page shows the catch-up run's results
    serve_.emplace(setup);
    ASSERT_TRUE(serve_->wait_for_log("evaluation finished", 30s)) << serve_->log();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(serve_->port()) + "/"; }

  TempDir dir_;
  std::optional<ServeProcess> serve_;
};

TEST_F(DashboardBrowserTest, ShowsTheExampleRuleSetAndLoadsNothingFromElsewhere) {
  const BrowserRun run = run_chromium(dir_.path(), "dom", {"--dump-dom", url()});
  EXPECT_TRUE(run.left_behind.empty()) << run.left_behind.size() << " processes left behind";
  ASSERT_FALSE(run.timed_out) << run.describe();
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  const std::string& dom = run.out;
  ASSERT_NO_FATAL_FAILURE(expect_shows_the_example(dom)) << run.describe();

  // dot's drawing, inline, when Graphviz is there; the nested list otherwise.
  const std::size_t graph_section = dom.find("<section id=\"so-do\">");
  ASSERT_NE(graph_section, std::string::npos);
  const std::string graph =
      dom.substr(graph_section, dom.find("</section>", graph_section) - graph_section);
  if (executable(kDot)) {
    EXPECT_NE(graph.find("<div class=\"graph\" tabindex=\"0\" role=\"region\" "
                         "aria-label=\"Sơ đồ kế hoạch\">\n<svg"),
              std::string::npos)
        << graph.substr(0, 2000);
    EXPECT_NE(graph.find("class=\"node\""), std::string::npos);
  } else {
    EXPECT_NE(graph.find("<ul class=\"plans\">"), std::string::npos) << graph.substr(0, 2000);
  }

  // The page as served names no address but the service's own.
  httplib::Client client("127.0.0.1", serve_->port());
  client.set_connection_timeout(5);
  client.set_read_timeout(30);
  const httplib::Result page = client.Get("/");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  const std::string own_origin = "http://127.0.0.1:" + std::to_string(serve_->port());
  EXPECT_EQ(outside_addresses(page->body, own_origin), "") << "the page as served";
  EXPECT_EQ(outside_addresses(dom, own_origin), "") << "the DOM Chromium built";
}

// The screenshot is of the page, not of a blank or an error: the same Chromium run dumps
// the DOM it drew, whose text must be the dashboard's.
TEST_F(DashboardBrowserTest, ScreenshotIsKeptAsArtifact) {
  const std::filesystem::path artifacts = TIENDO_ARTIFACT_DIR;
  std::filesystem::create_directories(artifacts);
  const std::filesystem::path screenshot = artifacts / "dashboard.png";
  std::error_code ec;
  std::filesystem::remove(screenshot, ec);  // judge this run's file, not an older one

  const BrowserRun run = run_chromium(
      dir_.path(), "screenshot",
      {"--dump-dom", "--screenshot=" + screenshot.string(), "--window-size=1280,2400", url()});
  EXPECT_TRUE(run.left_behind.empty()) << run.left_behind.size() << " processes left behind";
  ASSERT_FALSE(run.timed_out) << run.describe();
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  ASSERT_TRUE(std::filesystem::exists(screenshot)) << run.describe();
  const std::string png = read_text(screenshot.string());
  ASSERT_EQ(png.substr(0, kPngMagic.size()), kPngMagic) << screenshot;
  EXPECT_GT(png.size(), kMinScreenshotBytes) << screenshot;
  // IHDR: width and height, big-endian, at bytes 16 and 20.
  ASSERT_GE(png.size(), 24u);
  const auto be32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(png[at + i]);
    return v;
  };
  EXPECT_EQ(be32(16), 1280u);
  EXPECT_EQ(be32(20), 2400u);
  RecordProperty("artifact", screenshot.string());
  expect_shows_the_example(run.out);
}

// Issue #16: `?lang=en` in a browser is the English page: its own words without a
// Vietnamese letter, every rule of the example still shown (by its Vietnamese title, which
// is data), and a link back to Vietnamese.
TEST_F(DashboardBrowserTest, ShowsTheEnglishPageWithLangEn) {
  const BrowserRun run = run_chromium(dir_.path(), "english", {"--dump-dom", url() + "?lang=en"});
  EXPECT_TRUE(run.left_behind.empty()) << run.left_behind.size() << " processes left behind";
  ASSERT_FALSE(run.timed_out) << run.describe();
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  const std::string& dom = run.out;
  ASSERT_NE(dom.find("</html>"), std::string::npos) << "DOM:\n" << dom;
  EXPECT_NE(dom.find("<html lang=\"en\">"), std::string::npos) << dom.substr(0, 300);
  for (std::string_view heading :
       {"<h1>Progress dashboard</h1>", "<h2>Overview</h2>", "<h2>Targets</h2>",
        "<h2>Firing alerts</h2>", "<h2>Tasks by due date</h2>", "<h2>Plan graph</h2>"}) {
    EXPECT_NE(dom.find(heading), std::string::npos) << heading;
  }
  EXPECT_NE(dom.find("role=\"progressbar\""), std::string::npos);
  const std::vector<std::string> own = own_words(dom);
  EXPECT_GT(own.size(), 50u);
  for (const std::string& text : own) EXPECT_FALSE(has_vietnamese_letter(text)) << text;
  EXPECT_NE(dom.find("<a href=\"?lang=vi\" hreflang=\"vi\" lang=\"vi\""), std::string::npos);

  dsl::LoadedRuleSet loaded = dsl::load_rule_set({std::string(TIENDO_SOURCE_DIR) + "/rules"});
  ASSERT_TRUE(loaded.rule_set.has_value());
  for (const model::Rule& rule : loaded.rule_set->rules) {
    EXPECT_NE(dom.find("<code>" + dom_text(rule.name) + "</code>"), std::string::npos) << rule.name;
  }
}

}  // namespace
}  // namespace tiendo::testing
