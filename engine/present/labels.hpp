// What a state or a severity is called, how it reads at a glance and where it comes in a
// list: the one table every output for people uses (the committee's report, the e-mail,
// the dashboard, the plan graph, the command line's colours). Vietnamese first; English
// is carried beside it for a second language.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "eval/evaluate.hpp"
#include "model/rule_set.hpp"

namespace tiendo::present {

using model::Language;

// How many values each enumeration has, for arrays indexed by them.
inline constexpr std::size_t kRuleStateCount = static_cast<std::size_t>(eval::RuleState::error) + 1;
inline constexpr std::size_t kTaskStateCount =
    static_cast<std::size_t>(eval::TaskState::on_track) + 1;

// How a state reads at a glance: needs action, needs attention, fine, only informs, out of
// the picture. Each output gives a tone its own colours (CSS, inline styles, DOT, ANSI).
enum class Tone { red, amber, green, blue, grey };

// The label of a state as a table cell or a badge shows it, capitalized: "Có nguy cơ không
// đạt", "At risk of missing". Inside a sentence, lower_first(label(…)).
std::string_view label(eval::RuleState state, Language language = Language::vi);
std::string_view label(eval::TaskState state, Language language = Language::vi);
// "Nghiêm trọng", "Cảnh báo", "Thông tin"; none is "Không".
std::string_view label(model::Severity severity, Language language = Language::vi);
// What a task's last report said of it: "Đang thực hiện", "Báo bị chặn".
std::string_view label(model::TaskStatus status, Language language = Language::vi);

// An evaluator's state name (eval::to_string) as an alert keeps it, as a label: the names
// of a task's states for a task, of a rule's for a rule; "resolved" (an alert whose rule,
// unit or task is gone) reads "Không còn theo dõi"; any other name is shown as it is
// rather than hidden.
std::string state_name_label(std::string_view name, bool task, Language language = Language::vi);

Tone tone(eval::RuleState state);
Tone tone(eval::TaskState state);
Tone tone(model::Severity severity);
// The tone of a state name as state_name_label reads it; grey when it names no state.
Tone state_name_tone(std::string_view name, bool task);
// "red", "amber", …: the CSS class of a tone.
std::string_view tone_class(Tone tone);

// The one order of each kind for people, what needs action first: by tone (red, amber,
// green, blue, grey), then within a tone as listed here. Every value exactly once.
std::span<const eval::RuleState> rule_state_order();
std::span<const eval::TaskState> task_state_order();
std::span<const model::Severity> severity_order();  // critical, warning, info, none
std::span<const Tone> tone_order();

// A value's place in its order (0 first), to sort by: a before b when rank(a) < rank(b).
int rank(eval::RuleState state);
int rank(eval::TaskState state);
int rank(model::Severity severity);
int rank(Tone tone);

// The first letter in lower or upper case: "Quá hạn" ↔ "quá hạn". Letters of Vietnamese
// and ASCII; anything else is left as it is.
std::string lower_first(std::string_view text);
std::string upper_first(std::string_view text);
// Every letter in upper case: "cảnh báo" → "CẢNH BÁO".
std::string upper(std::string_view text);

}  // namespace tiendo::present
