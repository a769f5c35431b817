// The alert lifecycle through `reconcile`, run after run on real evaluations: `for`,
// `repeat every`, changes, resolutions (and `send_resolved false`), silences, alerts that
// the root-cause task carries, and the fingerprint and matchers.
#include "alert/alert.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "dsl/check.hpp"
#include "dsl/parse.hpp"

namespace tiendo::alert {
namespace {

using model::Date;

Date day(std::string_view text) {
  const auto d = model::parse_iso_date(text);
  EXPECT_TRUE(d.has_value()) << text;
  return d.value_or(Date{});
}

constexpr const char* kRules = R"rules(
levels province
indicator rate { unit percent }
indicator teams { unit count }
task kho { title "Kho dữ liệu" due 2022-10-31 duration 30d }
task cong { title "Cổng dữ liệu mở" after kho due 2022-12-31 }
channel mail { email "bcd@example.org" }
channel hook { webhook "http://127.0.0.1:9/hook" send_resolved false }
channel am { alertmanager "http://127.0.0.1:9093" }
rule online { title "Hồ sơ trực tuyến 50%" require rate >= 50% by 2022-12-31
  notify mail, hook repeat every 14d label group = "CQS"
  message "{title}: {value} (mục tiêu {target}, hạn {deadline}; cần {rate_needed})" }
rule teams_ok { require teams >= 10 for 14d notify mail }
rule open_data { require rate >= 1% by 2023-06-30 needs cong notify mail }
rule pushed { require teams >= 100 notify am }
)rules";

// One rule set and one province whose observations each test sets, run after run.
class Runs {
 public:
  Runs() {
    dsl::Program program = dsl::load_text("alerts.rules", kRules);
    auto checked = dsl::check(program);
    EXPECT_TRUE(checked.has_value());
    if (checked) rules_ = std::move(*checked);
  }

  void observe(std::string indicator, std::string day_text, double value) {
    points_.push_back({std::move(indicator), std::move(day_text), value});
  }
  void report(std::string task, std::string day_text, model::TaskStatus status) {
    statuses_.push_back({std::move(task), std::move(day_text), status});
  }

  // Evaluates at `at` and reconciles against the state the previous call left.
  const ReconcileOutput& run(std::string_view at, std::vector<Silence> silences = {},
                             std::string now = "2026-11-28T00:00:00Z") {
    snapshot_ = std::make_unique<store::Snapshot>();
    const store::UnitIndex p = snapshot_->add_unit({"dn", "Đồng Nai", "province", 0, -1, {}});
    for (const auto& [indicator, when, value] : points_) {
      store::Point point;
      point.set_period(day(when), day(when));
      point.value = value;
      snapshot_->add_point(rules_.find_indicator(indicator), p, point);
    }
    for (const auto& [task, when, status] : statuses_) {
      snapshot_->add_status(rules_.find_task(task), {day(when), status, std::nullopt, -1});
    }
    snapshot_->finish(rules_.tasks.size());
    results_ = std::make_unique<eval::Results>(eval::evaluate(rules_, *snapshot_, day(at)));
    ReconcileInput input;
    input.rules = &rules_;
    input.snapshot = snapshot_.get();
    input.results = results_.get();
    input.previous = state_;
    input.silences = std::move(silences);
    input.now = std::move(now);
    input.run_id = ++run_id_;
    output_ = reconcile(input);
    // The store keeps every alert the run touched; untouched ones stay as they were.
    for (const AlertRecord& a : output_.alerts) {
      auto it = std::find_if(state_.begin(), state_.end(),
                             [&](const AlertRecord& s) { return s.fingerprint == a.fingerprint; });
      if (it == state_.end()) {
        state_.push_back(a);
      } else {
        *it = a;
      }
    }
    std::erase_if(state_, [](const AlertRecord& a) { return a.lifecycle == Lifecycle::resolved; });
    return output_;
  }

  const AlertRecord* alert(std::string_view name) const {
    for (const AlertRecord& a : state_) {
      if (a.name == name) return &a;
    }
    return nullptr;
  }

  // The notifications of `name` in channel `channel`'s digest (held-back ones included).
  std::vector<NotifyKind> notified(std::string_view channel, std::string_view name) const {
    std::vector<NotifyKind> kinds;
    for (const Digest& d : output_.digests) {
      if (d.channel != channel) continue;
      for (const Notification& n : d.items) {
        if (n.alert.name == name) kinds.push_back(n.kind);
        for (const Notification& h : n.held_back) {
          if (h.alert.name == name) kinds.push_back(h.kind);
        }
      }
    }
    return kinds;
  }

  const Transition* transition(std::string_view name) const {
    const std::string fp = name == "kho" || name == "cong" ? fingerprint(Subject::task, name, "")
                                                           : fingerprint(Subject::rule, name, "dn");
    for (const Transition& t : output_.transitions) {
      if (t.fingerprint == fp) return &t;
    }
    return nullptr;
  }

  const ReconcileOutput& output() const { return output_; }

 private:
  struct Obs {
    std::string indicator, day;
    double value;
  };
  struct Status {
    std::string task, day;
    model::TaskStatus status;
  };
  model::RuleSet rules_;
  std::vector<Obs> points_;
  std::vector<Status> statuses_;
  std::unique_ptr<store::Snapshot> snapshot_;
  std::unique_ptr<eval::Results> results_;
  std::vector<AlertRecord> state_;
  ReconcileOutput output_;
  std::int64_t run_id_ = 0;
};

using Kinds = std::vector<NotifyKind>;

TEST(AlertLifecycle, FiresAtOnceThenStaysQuietUntilRepeatEveryThenChangesAndResolves) {
  Runs runs;
  runs.observe("teams", "2022-09-30", 20);
  runs.observe("rate", "2022-06-30", 0.05);
  runs.observe("rate", "2022-09-30", 0.09);
  runs.report("kho", "2022-09-01", model::TaskStatus::in_progress);

  runs.run("2022-10-01");  // 9% against 50%, trend far short: at_risk
  ASSERT_NE(runs.alert("online"), nullptr);
  EXPECT_EQ(runs.alert("online")->lifecycle, Lifecycle::firing);
  EXPECT_EQ(runs.alert("online")->state, "at_risk");
  EXPECT_EQ(runs.notified("mail", "online"), Kinds{NotifyKind::fired});
  EXPECT_EQ(runs.notified("hook", "online"), Kinds{NotifyKind::fired});
  ASSERT_NE(runs.transition("online"), nullptr);
  EXPECT_EQ(runs.transition("online")->channels, (std::vector<std::string>{"mail", "hook"}));

  runs.run("2022-10-02");  // nothing new
  EXPECT_TRUE(runs.notified("mail", "online").empty());
  EXPECT_EQ(runs.transition("online"), nullptr);

  runs.run("2022-10-14");  // 13 days after the notification: not yet
  EXPECT_TRUE(runs.notified("mail", "online").empty());
  runs.run("2022-10-15");  // 14 days: repeat every 14d
  EXPECT_EQ(runs.notified("mail", "online"), Kinds{NotifyKind::repeated});

  runs.run("2023-01-01");  // past the deadline: missed, critical — a change
  EXPECT_EQ(runs.alert("online")->state, "missed");
  EXPECT_EQ(runs.alert("online")->severity, model::Severity::critical);
  EXPECT_EQ(runs.notified("mail", "online"), Kinds{NotifyKind::changed});

  runs.observe("rate", "2023-01-15", 0.55);
  runs.run("2023-01-20");  // met: resolved, told to mail but not to hook (send_resolved false)
  EXPECT_EQ(runs.alert("online"), nullptr);
  EXPECT_EQ(runs.notified("mail", "online"), Kinds{NotifyKind::resolved});
  EXPECT_TRUE(runs.notified("hook", "online").empty());
  for (const Digest& d : runs.output().digests) {
    for (const Notification& n : d.items) {
      if (n.alert.name != "online") continue;
      EXPECT_EQ(n.alert.state, "met");  // what it is now, from this run's result
      EXPECT_EQ(n.alert.value, 0.55);
      EXPECT_EQ(n.since, day("2022-10-01"));
    }
  }
  ASSERT_NE(runs.transition("online"), nullptr);
  EXPECT_EQ(runs.transition("online")->to, Lifecycle::resolved);
  EXPECT_EQ(runs.transition("online")->channels, std::vector<std::string>{"mail"});
}

TEST(AlertLifecycle, ForKeepsAnAlertPendingUntilTheConditionHasFailedThatLong) {
  Runs runs;
  runs.observe("rate", "2022-09-30", 0.9);
  runs.observe("teams", "2022-09-30", 3);  // violated
  runs.run("2022-10-01");
  ASSERT_NE(runs.alert("teams_ok"), nullptr);
  EXPECT_EQ(runs.alert("teams_ok")->lifecycle, Lifecycle::pending);
  EXPECT_TRUE(runs.notified("mail", "teams_ok").empty());
  runs.run("2022-10-14");  // 13 days
  EXPECT_EQ(runs.alert("teams_ok")->lifecycle, Lifecycle::pending);
  runs.run("2022-10-15");  // 14 days
  EXPECT_EQ(runs.alert("teams_ok")->lifecycle, Lifecycle::firing);
  EXPECT_EQ(runs.alert("teams_ok")->firing_since, day("2022-10-15"));
  EXPECT_EQ(runs.notified("mail", "teams_ok"), Kinds{NotifyKind::fired});
}

TEST(AlertLifecycle, APendingAlertThatClearsResolvesWithoutAWord) {
  Runs runs;
  runs.observe("rate", "2022-09-30", 0.9);
  runs.observe("teams", "2022-09-30", 3);
  runs.run("2022-10-01");
  runs.observe("teams", "2022-10-05", 30);
  runs.run("2022-10-06");
  EXPECT_EQ(runs.alert("teams_ok"), nullptr);
  EXPECT_TRUE(runs.notified("mail", "teams_ok").empty());
  ASSERT_NE(runs.transition("teams_ok"), nullptr);
  EXPECT_EQ(runs.transition("teams_ok")->from, Lifecycle::pending);
  EXPECT_EQ(runs.transition("teams_ok")->to, Lifecycle::resolved);
  EXPECT_FALSE(runs.transition("teams_ok")->notify.has_value());
}

Silence silence_of(std::string matcher, std::string starts, std::string ends, std::int64_t id = 1) {
  std::string error;
  Silence s;
  s.id = id;
  s.matchers.push_back(*parse_matcher(matcher, error));
  s.starts_at = std::move(starts);
  s.ends_at = std::move(ends);
  return s;
}

TEST(AlertSilence, SilencedAlertsAreNotToldButTheirResolutionIs) {
  Runs runs;
  runs.observe("teams", "2022-09-30", 20);
  runs.observe("rate", "2022-09-30", 0.09);
  const Silence s = silence_of("group=CQS", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", 7);
  runs.run("2022-10-01", {s});
  EXPECT_EQ(runs.alert("online")->lifecycle, Lifecycle::firing);
  EXPECT_TRUE(runs.notified("mail", "online").empty());
  ASSERT_NE(runs.transition("online"), nullptr);
  EXPECT_EQ(runs.transition("online")->silenced_by, 7);
  EXPECT_FALSE(runs.alert("online")->last_notified.has_value());

  // The silence has ended: an alert nobody heard of fires now.
  runs.run("2022-10-02", {s}, "2026-12-02T00:00:00Z");
  EXPECT_EQ(runs.notified("mail", "online"), Kinds{NotifyKind::fired});

  // Silenced again, then resolved: the resolution is sent, marked as silenced.
  runs.observe("rate", "2022-10-05", 0.6);
  runs.run("2022-10-06", {s});
  EXPECT_EQ(runs.notified("mail", "online"), Kinds{NotifyKind::resolved});
  for (const Digest& d : runs.output().digests) {
    for (const Notification& n : d.items) {
      if (n.alert.name == "online") {
        EXPECT_TRUE(n.silenced);
      }
    }
  }
}

TEST(AlertSilence, ASilenceMatchesOnlyWhatAllItsMatchersMatch) {
  Runs runs;
  runs.observe("teams", "2022-09-30", 20);
  runs.observe("rate", "2022-09-30", 0.09);
  Silence s = silence_of("rule=online", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z");
  std::string error;
  s.matchers.push_back(*parse_matcher("unit=elsewhere", error));
  runs.run("2022-10-01", {s});
  EXPECT_EQ(runs.notified("mail", "online"), Kinds{NotifyKind::fired});
}

TEST(AlertRootCause, ABlockedRuleIsToldInsideItsRootCauseTask) {
  Runs runs;
  runs.observe("teams", "2022-09-30", 20);
  runs.observe("rate", "2022-09-30", 0.0);
  runs.report("kho", "2022-09-01", model::TaskStatus::in_progress);
  runs.run("2022-11-05");  // kho overdue (due 31/10) → cong blocked → open_data blocked
  const auto& out = runs.output();
  const Digest* mail = nullptr;
  for (const Digest& d : out.digests) {
    if (d.channel == "mail") mail = &d;
  }
  ASSERT_NE(mail, nullptr);
  const Notification* kho = nullptr;
  for (const Notification& n : mail->items) {
    EXPECT_NE(n.alert.name, "open_data") << "the blocked rule must not come on its own";
    if (n.alert.name == "kho") kho = &n;
  }
  ASSERT_NE(kho, nullptr);
  EXPECT_EQ(kho->alert.state, "overdue");
  EXPECT_EQ(kho->alert.severity, model::Severity::critical);
  ASSERT_EQ(kho->held_back.size(), 1u);
  EXPECT_EQ(kho->held_back[0].alert.name, "open_data");
  EXPECT_EQ(kho->held_back[0].alert.state, "blocked");
  EXPECT_EQ(kho->held_back[0].alert.chain, (std::vector<std::string>{"cong", "kho"}));
  EXPECT_EQ(kho->held_back[0].alert.plan, "");
  // The task's alert goes to the channels of the rules that need it.
  EXPECT_TRUE(runs.notified("hook", "kho").empty());
  // kho, cong (blocked), open_data (held back) and online (0% against 50%: at risk).
  EXPECT_EQ(mail->fired, 4);
}

TEST(AlertMessages, DigestsPutTheMostSevereFirstAndFillTheRuleMessage) {
  Runs runs;
  runs.observe("teams", "2022-09-30", 3);
  runs.observe("rate", "2022-09-30", 0.0923);
  runs.report("kho", "2022-09-01", model::TaskStatus::in_progress);
  // kho overdue (critical); online at risk and cong blocked by kho (warnings).
  runs.run("2022-11-05");
  int online = 0;
  bool mixed = false;  // a digest with more than one severity, so the order is tested
  for (const Digest& d : runs.output().digests) {
    for (std::size_t i = 1; i < d.items.size(); ++i) {
      EXPECT_GE(static_cast<int>(d.items[i - 1].alert.severity),
                static_cast<int>(d.items[i].alert.severity));
      mixed = mixed || d.items[i - 1].alert.severity != d.items[i].alert.severity;
    }
    for (const Notification& n : d.items) {
      if (n.alert.name != "online") continue;
      ++online;
      // 40,77 points in the 56 days (1,84 months) from 5/11 to 31/12/2022.
      EXPECT_EQ(
          n.alert.message.vi,
          "Hồ sơ trực tuyến 50%: 9,23% (mục tiêu 50%, hạn 31/12/2022; cần +22,16 điểm %/tháng)");
      EXPECT_EQ(n.alert.source, "alerts.rules:10");
      EXPECT_TRUE(n.alert.percent);
    }
  }
  EXPECT_EQ(online, 2);  // mail and hook
  EXPECT_TRUE(mixed);
}

TEST(AlertAlertmanager, FiringAlertsArePushedAgainOnEveryRun) {
  Runs runs;
  runs.observe("teams", "2022-09-30", 20);
  runs.observe("rate", "2022-09-30", 0.9);
  runs.run("2022-10-01");
  EXPECT_EQ(runs.notified("am", "pushed"), Kinds{NotifyKind::fired});
  runs.run("2022-10-02");
  EXPECT_EQ(runs.notified("am", "pushed"), Kinds{NotifyKind::repeated});
  ASSERT_NE(runs.transition("pushed"), nullptr);
  EXPECT_EQ(runs.transition("pushed")->channels, std::vector<std::string>{"am"});
}

// The fingerprint is what receivers (and Alertmanager) keep alerts apart by, and what the
// store keys alerts on: pinned to known values (the first 8 bytes, in hex, of SHA-256 over
// subject, name and unit separated by NUL: `printf 'rule\0online\0dn' | sha256sum`), so
// that a change of it cannot pass unseen.
TEST(AlertIdentity, FingerprintsAreStableAndDistinct) {
  EXPECT_EQ(fingerprint(Subject::rule, "online", "dn"), "2787308dd079a951");
  EXPECT_EQ(fingerprint(Subject::task, "kho", ""), "c1aa339a5f9159d5");
  EXPECT_EQ(fingerprint(Subject::rule, "online_dossier_2022", "dong_nai"), "76c2447fda138c07");
  EXPECT_NE(fingerprint(Subject::rule, "online", "dn"), fingerprint(Subject::rule, "online", "bh"));
  EXPECT_NE(fingerprint(Subject::rule, "ab", "c"), fingerprint(Subject::rule, "a", "bc"));
  EXPECT_NE(fingerprint(Subject::rule, "x", ""), fingerprint(Subject::task, "x", ""));
}

TEST(AlertMatchers, ParseAndMatch) {
  std::string error;
  const Labels labels = {{"rule", "online"}, {"unit", "dn"}, {"group", "Phát triển chính phủ số"}};
  const auto match = [&](std::string text) {
    auto m = parse_matcher(text, error);
    EXPECT_TRUE(m.has_value()) << text << ": " << error;
    return m && matches({*m}, labels);
  };
  EXPECT_TRUE(match("rule=online"));
  EXPECT_FALSE(match("rule=other"));
  EXPECT_TRUE(match("rule!=other"));
  EXPECT_TRUE(match("group=~\"Phát triển.*\""));
  EXPECT_FALSE(match("group=~triển"));  // a regular expression matches the whole value
  EXPECT_TRUE(match("group!~triển"));
  EXPECT_TRUE(match("owner="));  // an absent label is empty
  EXPECT_FALSE(parse_matcher("=x", error).has_value());
  EXPECT_NE(error.find("not a matcher"), std::string::npos);
  EXPECT_FALSE(parse_matcher("rule", error).has_value());
  EXPECT_NE(error.find("no operator"), std::string::npos);
  EXPECT_FALSE(parse_matcher("rule=~(", error).has_value());
  EXPECT_NE(error.find("regular expression"), std::string::npos);
}

// Issue #13: std::regex compiled nested groups recursively, and 20,000 of them in one
// 40 KB request overflowed the stack. The pattern's length is now bounded before any
// compilation, and the error names the matcher without repeating all of it.
TEST(AlertMatchers, TwentyThousandNestedGroupsAreRefusedNotACrash) {
  std::string error;
  const std::string pattern = std::string(20000, '(') + std::string(20000, ')');
  EXPECT_FALSE(parse_matcher("rule=~" + pattern, error).has_value());
  EXPECT_NE(error.find("rule=~'(((("), std::string::npos) << error;
  EXPECT_NE(error.find("40000 bytes long; at most 1024"), std::string::npos) << error;
  EXPECT_LT(error.size(), 200u) << error;
  // At the limit, nesting compiles (RE2 parses without recursion).
  const std::string nested = std::string(512, '(') + std::string(512, ')');
  ASSERT_EQ(nested.size(), kMaxMatcherRegexBytes);
  const auto m = parse_matcher("rule=~" + nested, error);
  ASSERT_TRUE(m.has_value()) << error;
  EXPECT_TRUE(matches({*m}, {{"rule", ""}}));
  EXPECT_FALSE(matches({*m}, {{"rule", "x"}}));
}

// Issue #13: "(.|.|.|.)*X" made std::regex backtrack exponentially on every alert, and
// a run stayed "running" for ever. RE2 matches in time linear in the value.
TEST(AlertMatchers, AnExponentialBacktrackingPatternMatchesAtOnce) {
  std::string error;
  const auto m = parse_matcher("rule=~(.|.|.|.)*X", error);
  ASSERT_TRUE(m.has_value()) << error;
  const std::string value(10000, 'a');
  EXPECT_FALSE(matches({*m}, {{"rule", value}}));
  EXPECT_TRUE(matches({*m}, {{"rule", value + "X"}}));
  const auto nested = parse_matcher("rule=~(a*)*(a*)*(a*)*b", error);
  ASSERT_TRUE(nested.has_value()) << error;
  EXPECT_FALSE(matches({*nested}, {{"rule", value}}));
}

TEST(AlertMatchers, AreCompiledOnceAndSharedByCopies) {
  std::string error;
  const auto m = parse_matcher("unit=~\"dong_.*\"", error);
  ASSERT_TRUE(m.has_value()) << error;
  ASSERT_NE(m->regex, nullptr);
  const Matcher copy = *m;
  EXPECT_EQ(copy.regex.get(), m->regex.get());
  EXPECT_EQ(copy, *m);
  // Equality is of what was written.
  EXPECT_EQ(*m, (Matcher{"unit", "=~", "dong_.*", nullptr}));
  EXPECT_EQ(parse_matcher("unit=dong_nai", error)->regex, nullptr);
}

TEST(AlertMatchers, SpeakRe2Syntax) {
  std::string error;
  const Labels labels = {{"rule", "Online_Dossier"}, {"unit", "Đồng Nai"}};
  const auto match = [&](std::string text) {
    auto m = parse_matcher(text, error);
    EXPECT_TRUE(m.has_value()) << text << ": " << error;
    return m && matches({*m}, labels);
  };
  EXPECT_TRUE(match("rule=~(?i)online_dossier"));  // flags, as Prometheus writes them
  EXPECT_TRUE(match("unit=~\"Đồng .*\""));         // UTF-8 characters, not bytes
  EXPECT_TRUE(match("unit=~\".{4} Nai\""));        // "Đồng" is 4 characters, 7 bytes
  EXPECT_FALSE(match("unit=~\".{7} Nai\""));
  EXPECT_TRUE(match("rule=~Offline|Online_Dossier"));  // the whole alternation is anchored
  EXPECT_FALSE(match("rule=~Online|Offline"));
  // What ECMAScript had and RE2 has not: look-around and back-references.
  EXPECT_FALSE(parse_matcher("rule=~(?=Online).*", error).has_value());
  EXPECT_NE(error.find("rule=~'(?=Online).*': not a valid regular expression (RE2 syntax)"),
            std::string::npos)
      << error;
  EXPECT_FALSE(parse_matcher("rule=~(a)\\1", error).has_value());
  // A pattern short enough that compiles too big.
  EXPECT_FALSE(parse_matcher("rule=~((((a{100}){100}){100}){100})", error).has_value());
  EXPECT_NE(error.find("rule=~"), std::string::npos) << error;
}

// Found by fuzz_matcher: RE2's message quotes the rest of the pattern from where it
// stopped, so an invalid pattern of 1 KiB made a 1 KiB error.
TEST(AlertMatchers, AnInvalidPatternsErrorIsShort) {
  std::string error;
  EXPECT_FALSE(parse_matcher("rule=~" + std::string(1000, '('), error).has_value());
  EXPECT_NE(error.find("not a valid regular expression (RE2 syntax): missing ): "),
            std::string::npos)
      << error;
  EXPECT_LT(error.size(), 250u) << error;
}

TEST(AlertMatchers, MakeMatcherChecksTheOperator) {
  std::string error;
  EXPECT_TRUE(make_matcher("rule", "!~", "x.*", error).has_value()) << error;
  EXPECT_FALSE(make_matcher("rule", "~", "x", error).has_value());
  EXPECT_NE(error.find("'~' is not an operator"), std::string::npos) << error;
  // A matcher that cannot be compiled (say, read from an old store) matches nothing.
  const Matcher broken{"rule", "!~", "(?=x)", nullptr};
  EXPECT_FALSE(matches({broken}, {{"rule", "y"}}));
}

// Issue #12: a task nobody reports on is an alert (a warning), and a task's facts carry
// the note of its last report.
TEST(AlertTaskFacts, NoReportWarnsAndTheLastNoteComesAlong) {
  dsl::Program program = dsl::load_text("tasks.rules",
                                        "task silent { starts 2022-10-01 due 2022-12-31 }\n"
                                        "task slow { due 2022-12-31 duration 90d }\n");
  const auto rules = dsl::check(program);
  ASSERT_TRUE(rules.has_value());
  store::Snapshot snapshot;
  snapshot.add_unit({"dn", "Đồng Nai", "", model::kNone, -1, {}});
  snapshot.add_status(rules->find_task("slow"),
                      {day("2022-09-19"), model::TaskStatus::in_progress, std::nullopt,
                       snapshot.intern("vướng thủ tục đầu tư")});
  snapshot.finish(rules->tasks.size());
  const eval::Results results = eval::evaluate(*rules, snapshot, day("2022-10-15"));
  const present::ReasonContext context{*rules, snapshot, results};
  const AlertFacts silent = facts_of(context, results.tasks.at(0));
  EXPECT_EQ(silent.state, "no_report");
  EXPECT_EQ(silent.severity, model::Severity::warning);
  EXPECT_EQ(silent.note, "");
  EXPECT_EQ(silent.reason.en.rfind("no status reported", 0), 0u) << silent.reason.en;
  EXPECT_EQ(silent.reason.vi.rfind("chưa báo cáo tình trạng", 0), 0u) << silent.reason.vi;
  const AlertFacts slow = facts_of(context, results.tasks.at(1));
  EXPECT_EQ(slow.state, "at_risk");
  EXPECT_EQ(slow.note, "vướng thủ tục đầu tư");
  EXPECT_EQ(task_severity(eval::TaskState::no_report), model::Severity::warning);
}

}  // namespace
}  // namespace tiendo::alert
