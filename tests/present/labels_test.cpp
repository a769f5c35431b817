// The one table of labels, tones and orders: every rule state, task state and severity
// has exactly one non-empty label per language and one tone, and each order lists every
// value once, what needs action first.
#include "present/labels.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace tiendo::present {
namespace {

using eval::RuleState;
using eval::TaskState;
using model::Severity;

constexpr Language kLanguages[] = {Language::vi, Language::en};

std::vector<RuleState> all_rule_states() {
  std::vector<RuleState> out;
  for (int i = 0; i <= static_cast<int>(RuleState::error); ++i) {
    out.push_back(static_cast<RuleState>(i));
  }
  return out;
}

std::vector<TaskState> all_task_states() {
  std::vector<TaskState> out;
  for (int i = 0; i <= static_cast<int>(TaskState::on_track); ++i) {
    out.push_back(static_cast<TaskState>(i));
  }
  return out;
}

std::vector<Severity> all_severities() {
  std::vector<Severity> out;
  for (int i = 0; i <= static_cast<int>(Severity::critical); ++i) {
    out.push_back(static_cast<Severity>(i));
  }
  return out;
}

bool known(Tone t) {
  for (Tone listed : tone_order()) {
    if (listed == t) return true;
  }
  return false;
}

// Each value has a label in each language, none empty, no two of one kind alike, and the
// two languages differ where the words do (every Vietnamese label has a diacritic or a
// word English does not use).
template <class T>
void expect_labels(const std::vector<T>& values, std::string_view kind) {
  for (Language language : kLanguages) {
    std::set<std::string_view> seen;
    for (T value : values) {
      const std::string_view text = label(value, language);
      EXPECT_FALSE(text.empty()) << kind << " " << static_cast<int>(value);
      EXPECT_TRUE(seen.insert(text).second) << kind << " label used twice: " << text;
    }
  }
  for (T value : values) EXPECT_NE(label(value, Language::vi), label(value, Language::en));
}

// An order lists every value exactly once, its ranks are the positions, and it never
// puts a value before one of a more urgent tone.
template <class T>
void expect_order(std::span<const T> order, const std::vector<T>& values, std::string_view kind) {
  ASSERT_EQ(order.size(), values.size()) << kind;
  std::set<T> seen(order.begin(), order.end());
  EXPECT_EQ(seen.size(), values.size()) << kind << ": a value listed twice";
  for (std::size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(rank(order[i]), static_cast<int>(i)) << kind;
    if (i > 0) {
      EXPECT_LE(rank(tone(order[i - 1])), rank(tone(order[i])))
          << kind << ": " << static_cast<int>(order[i - 1]) << " before "
          << static_cast<int>(order[i]);
    }
  }
}

TEST(PresentLabels, EveryStateAndSeverityHasOneLabelPerLanguageAndOneTone) {
  expect_labels(all_rule_states(), "rule state");
  expect_labels(all_task_states(), "task state");
  expect_labels(all_severities(), "severity");
  for (RuleState s : all_rule_states()) EXPECT_TRUE(known(tone(s)));
  for (TaskState s : all_task_states()) EXPECT_TRUE(known(tone(s)));
  for (Severity s : all_severities()) EXPECT_TRUE(known(tone(s)));
  for (Tone t : tone_order()) EXPECT_FALSE(tone_class(t).empty());
}

TEST(PresentLabels, OrdersAreTotalAndFollowTheTones) {
  expect_order(rule_state_order(), all_rule_states(), "rule states");
  expect_order(task_state_order(), all_task_states(), "task states");
  expect_order(severity_order(), all_severities(), "severities");
  // The tones themselves: what needs action, attention, is fine, informs, is out of the
  // picture.
  const std::vector<Tone> tones(tone_order().begin(), tone_order().end());
  EXPECT_EQ(tones,
            (std::vector<Tone>{Tone::red, Tone::amber, Tone::green, Tone::blue, Tone::grey}));
  // Most severe first, wherever a list is sorted for people.
  EXPECT_EQ(severity_order().front(), Severity::critical);
  EXPECT_EQ(severity_order().back(), Severity::none);
  EXPECT_LT(rank(Severity::critical), rank(Severity::warning));
  EXPECT_LT(rank(RuleState::missed), rank(RuleState::met));
  EXPECT_LT(rank(TaskState::overdue), rank(TaskState::done));
}

// Where the copies disagreed before issue #14, the one answer.
TEST(PresentLabels, TheDisagreementsOfTheCopiesAreSettled) {
  EXPECT_EQ(label(RuleState::at_risk), "Có nguy cơ không đạt");
  EXPECT_EQ(label(TaskState::at_risk), "Có nguy cơ trễ hạn");
  EXPECT_EQ(tone(TaskState::done_late), Tone::amber);
  EXPECT_EQ(label(RuleState::no_data), "Chưa có số liệu");
  EXPECT_EQ(label(RuleState::not_yet), "Chưa đến hạn");
  EXPECT_EQ(label(TaskState::overdue), "Quá hạn");
  EXPECT_EQ(label(TaskState::no_report), "Chưa báo cáo");
  EXPECT_EQ(tone(TaskState::no_report), Tone::amber);
  EXPECT_EQ(label(TaskState::done_late), "Hoàn thành trễ hạn");
  EXPECT_EQ(label(Severity::critical), "Nghiêm trọng");
  EXPECT_EQ(label(model::TaskStatus::in_progress), "Đang thực hiện");
}

TEST(PresentLabels, StateNamesAsAlertsKeepThem) {
  EXPECT_EQ(state_name_label("at_risk", false), "Có nguy cơ không đạt");
  EXPECT_EQ(state_name_label("at_risk", true), "Có nguy cơ trễ hạn");
  EXPECT_EQ(state_name_label("overdue", true), "Quá hạn");
  EXPECT_EQ(state_name_label("overdue", false), "Quá hạn");  // a task's name on a rule
  EXPECT_EQ(state_name_label("resolved", false), "Không còn theo dõi");
  EXPECT_EQ(state_name_label("resolved", true, Language::en), "No longer tracked");
  EXPECT_EQ(state_name_label("something_new", false), "something_new");  // shown, not hidden
  EXPECT_EQ(state_name_tone("done_late", true), Tone::amber);
  EXPECT_EQ(state_name_tone("missed", false), Tone::red);
  EXPECT_EQ(state_name_tone("resolved", false), Tone::grey);
}

TEST(PresentLabels, LetterCaseOfVietnamese) {
  EXPECT_EQ(lower_first("Quá hạn"), "quá hạn");
  EXPECT_EQ(lower_first("Đạt yêu cầu"), "đạt yêu cầu");
  EXPECT_EQ(upper_first("đã khắc phục"), "Đã khắc phục");
  EXPECT_EQ(upper_first("ơn"), "Ơn");
  EXPECT_EQ(upper_first("ưu tiên"), "Ưu tiên");
  EXPECT_EQ(upper("Nghiêm trọng"), "NGHIÊM TRỌNG");
  EXPECT_EQ(upper("Cảnh báo"), "CẢNH BÁO");
  EXPECT_EQ(upper("Thông tin"), "THÔNG TIN");
  EXPECT_EQ(upper("ăn ở đủ ĩ ũ ơ ư ỹ"), "ĂN Ở ĐỦ Ĩ Ũ Ơ Ư Ỹ");
  EXPECT_EQ(lower_first(""), "");
  EXPECT_EQ(upper("a\xff"
                  "b"),
            "A\xff"
            "B");  // an ill-formed byte is kept
}

}  // namespace
}  // namespace tiendo::present
