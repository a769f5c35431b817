#include "present/labels.hpp"

#include <array>
#include <optional>

#include "util/text.hpp"

namespace tiendo::present {

namespace {

using eval::RuleState;
using eval::TaskState;
using model::Severity;
using model::TaskStatus;

struct Words {
  std::string_view vi, en;
  std::string_view in(Language language) const { return language == Language::en ? en : vi; }
};

constexpr std::size_t kRuleStates = kRuleStateCount;
constexpr std::size_t kTaskStates = kTaskStateCount;
constexpr std::size_t kSeverities = static_cast<std::size_t>(Severity::critical) + 1;
constexpr std::size_t kStatuses = static_cast<std::size_t>(TaskStatus::cancelled) + 1;

// Indexed by the enumerations' values, in their declaration order.
constexpr std::array<Words, kRuleStates> kRuleLabels = {{
    {"Đạt", "Met"},
    {"Đúng tiến độ", "On track"},
    {"Có nguy cơ không đạt", "At risk of missing"},
    {"Không đạt", "Missed"},
    {"Chưa đến hạn", "Not yet due"},
    {"Đạt yêu cầu", "Compliant"},
    {"Vi phạm", "Violated"},
    {"Chưa có số liệu", "No data"},
    {"Số liệu cũ", "Stale data"},
    {"Bị chặn", "Blocked"},
    {"Lỗi", "Error"},
}};
constexpr std::array<Words, kTaskStates> kTaskLabels = {{
    {"Hoàn thành", "Done"},
    {"Hoàn thành trễ hạn", "Done late"},
    {"Đã hủy", "Cancelled"},
    {"Quá hạn", "Overdue"},
    {"Bị chặn", "Blocked"},
    {"Chưa báo cáo", "Not reported"},
    {"Có nguy cơ trễ hạn", "At risk of being late"},
    {"Đúng tiến độ", "On track"},
}};
constexpr std::array<Words, kSeverities> kSeverityLabels = {{
    {"Không", "None"},
    {"Thông tin", "Info"},
    {"Cảnh báo", "Warning"},
    {"Nghiêm trọng", "Critical"},
}};
constexpr std::array<Words, kStatuses> kStatusLabels = {{
    {"Chưa bắt đầu", "Not started"},
    {"Đang thực hiện", "In progress"},
    {"Đã hoàn thành", "Done"},
    {"Báo bị chặn", "Reported blocked"},
    {"Đã hủy", "Cancelled"},
}};
constexpr Words kUntracked = {"Không còn theo dõi", "No longer tracked"};

constexpr std::array<Tone, kRuleStates> kRuleTones = {
    Tone::green,  // met
    Tone::green,  // on_track
    Tone::amber,  // at_risk
    Tone::red,    // missed
    Tone::grey,   // not_yet
    Tone::green,  // ok
    Tone::red,    // violated
    Tone::amber,  // no_data
    Tone::amber,  // stale
    Tone::amber,  // blocked
    Tone::red,    // error
};
constexpr std::array<Tone, kTaskStates> kTaskTones = {
    Tone::green,  // done
    Tone::amber,  // done_late: finished, but the deadline was missed
    Tone::grey,   // cancelled
    Tone::red,    // overdue
    Tone::amber,  // blocked
    Tone::amber,  // no_report
    Tone::amber,  // at_risk
    Tone::green,  // on_track
};
constexpr std::array<Tone, kSeverities> kSeverityTones = {Tone::grey, Tone::blue, Tone::amber,
                                                          Tone::red};

constexpr std::array<RuleState, kRuleStates> kRuleOrder = {
    RuleState::missed,  RuleState::violated, RuleState::error,   RuleState::at_risk,
    RuleState::blocked, RuleState::stale,    RuleState::no_data, RuleState::on_track,
    RuleState::ok,      RuleState::met,      RuleState::not_yet};
constexpr std::array<TaskState, kTaskStates> kTaskOrder = {
    TaskState::overdue,   TaskState::blocked,  TaskState::no_report, TaskState::at_risk,
    TaskState::done_late, TaskState::on_track, TaskState::done,      TaskState::cancelled};
constexpr std::array<Severity, kSeverities> kSeverityOrder = {Severity::critical, Severity::warning,
                                                              Severity::info, Severity::none};
constexpr std::array<Tone, 5> kToneOrder = {Tone::red, Tone::amber, Tone::green, Tone::blue,
                                            Tone::grey};

template <class T, std::size_t N>
constexpr std::array<int, N> ranks_of(const std::array<T, N>& order) {
  std::array<int, N> ranks{};
  for (std::size_t i = 0; i < N; ++i)
    ranks[static_cast<std::size_t>(order[i])] = static_cast<int>(i);
  return ranks;
}

constexpr auto kRuleRanks = ranks_of(kRuleOrder);
constexpr auto kTaskRanks = ranks_of(kTaskOrder);
constexpr auto kSeverityRanks = ranks_of(kSeverityOrder);
constexpr auto kToneRanks = ranks_of(kToneOrder);

template <class T>
std::size_t at(T value) {
  return static_cast<std::size_t>(value);
}

// A state name as an alert keeps it: a task's state names first for a task, a rule's first
// for a rule (blocked, at_risk and on_track name both).
struct NamedState {
  std::optional<RuleState> rule;
  std::optional<TaskState> task;
};

NamedState named_state(std::string_view name, bool task) {
  NamedState state;
  if (task) {
    state.task = eval::parse_task_state(name);
    if (!state.task) state.rule = eval::parse_rule_state(name);
  } else {
    state.rule = eval::parse_rule_state(name);
    if (!state.rule) state.task = eval::parse_task_state(name);
  }
  return state;
}

// ---------------------------------------------------------------------------------------
// Letter case: ASCII and the precomposed letters Vietnamese is written with (Latin-1,
// Ă Đ Ĩ Ũ Ơ Ư, and U+1EA0–U+1EF9, where capitals and small letters alternate).

char32_t to_upper(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 0x20;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 0x20;
  if (((c >= 0x100 && c <= 0x12F) || (c >= 0x150 && c <= 0x177)) && c % 2 == 1) return c - 1;
  if (c == 0x1A1) return 0x1A0;  // ơ
  if (c == 0x1B0) return 0x1AF;  // ư
  if (c >= 0x1EA0 && c <= 0x1EF9 && c % 2 == 1) return c - 1;
  return c;
}

char32_t to_lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  if (((c >= 0x100 && c <= 0x12F) || (c >= 0x150 && c <= 0x177)) && c % 2 == 0) return c + 1;
  if (c == 0x1A0) return 0x1A1;  // Ơ
  if (c == 0x1AF) return 0x1B0;  // Ư
  if (c >= 0x1EA0 && c <= 0x1EF9 && c % 2 == 0) return c + 1;
  return c;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// `text` with `map` applied to its first `count` code points (all of them when npos); an
// ill-formed byte is kept as it is.
std::string map_case(std::string_view text, char32_t (*map)(char32_t), std::size_t count) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < text.size(); ++i) {
    const std::size_t start = pos;
    const char32_t c = util::decode_utf8(text, pos);
    const char32_t mapped = i < count ? map(c) : c;
    if (mapped == c) {
      out.append(text.substr(start, pos - start));
    } else {
      append_utf8(out, mapped);
    }
  }
  return out;
}

}  // namespace

std::string_view label(RuleState state, Language language) {
  return kRuleLabels[at(state)].in(language);
}

std::string_view label(TaskState state, Language language) {
  return kTaskLabels[at(state)].in(language);
}

std::string_view label(Severity severity, Language language) {
  return kSeverityLabels[at(severity)].in(language);
}

std::string_view label(TaskStatus status, Language language) {
  return kStatusLabels[at(status)].in(language);
}

std::string state_name_label(std::string_view name, bool task, Language language) {
  const NamedState state = named_state(name, task);
  if (state.rule) return std::string(label(*state.rule, language));
  if (state.task) return std::string(label(*state.task, language));
  if (name == "resolved") return std::string(kUntracked.in(language));
  return std::string(name);
}

Tone tone(RuleState state) { return kRuleTones[at(state)]; }
Tone tone(TaskState state) { return kTaskTones[at(state)]; }
Tone tone(Severity severity) { return kSeverityTones[at(severity)]; }

Tone state_name_tone(std::string_view name, bool task) {
  const NamedState state = named_state(name, task);
  if (state.rule) return tone(*state.rule);
  if (state.task) return tone(*state.task);
  return Tone::grey;
}

std::string_view tone_class(Tone t) {
  switch (t) {
    case Tone::red:
      return "red";
    case Tone::amber:
      return "amber";
    case Tone::green:
      return "green";
    case Tone::blue:
      return "blue";
    case Tone::grey:
      return "grey";
  }
  return "grey";
}

std::span<const RuleState> rule_state_order() { return kRuleOrder; }
std::span<const TaskState> task_state_order() { return kTaskOrder; }
std::span<const Severity> severity_order() { return kSeverityOrder; }
std::span<const Tone> tone_order() { return kToneOrder; }

int rank(RuleState state) { return kRuleRanks[at(state)]; }
int rank(TaskState state) { return kTaskRanks[at(state)]; }
int rank(Severity severity) { return kSeverityRanks[at(severity)]; }
int rank(Tone t) { return kToneRanks[at(t)]; }

std::string lower_first(std::string_view text) { return map_case(text, to_lower, 1); }
std::string upper_first(std::string_view text) { return map_case(text, to_upper, 1); }
std::string upper(std::string_view text) {
  return map_case(text, to_upper, std::string_view::npos);
}

}  // namespace tiendo::present
