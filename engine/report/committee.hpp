// The report for the people's committee: the state of every target on a date, laid out
// like the table "Tình hình thực hiện các mục tiêu, chỉ tiêu" of a provincial progress
// report (STT, Chỉ tiêu, Mục tiêu, Kết quả), in Vietnamese, followed by the tasks that
// are late, at risk or blocked. Markdown, one self-contained HTML file, or CSV for
// Excel. Strings only; the command line decides where they go.
#pragma once

#include <string>
#include <string_view>

#include "eval/evaluate.hpp"
#include "model/calendar.hpp"
#include "model/rule_set.hpp"
#include "store/snapshot.hpp"

namespace tiendo::report {

std::string markdown(const model::RuleSet& rules, const store::Snapshot& snapshot,
                     const eval::Results& results);
std::string html(const model::RuleSet& rules, const store::Snapshot& snapshot,
                 const eval::Results& results);
// Header stt,nhom,chi_tieu,don_vi,muc_tieu,ket_qua,trang_thai,ly_do,han; one row per
// rule result; UTF-8 with a byte order mark and CRLF line ends, as Excel expects.
std::string csv(const model::RuleSet& rules, const store::Snapshot& snapshot,
                const eval::Results& results);

// ---------------------------------------------------------------------------------------
// Building blocks, exposed for tests.

// Decimal comma, dot between thousands, at most two decimals, no trailing zeros:
// 3103499 → "3.103.499", 9.2345 → "9,23", 1 → "1".
std::string format_number(double value);
// A fraction as a percent: 0.835 → "83,5%", 0.7762 → "77,62%", 1 → "100%".
std::string format_percent(double fraction);
// Day first, as administrative documents write dates (Nghị định 30/2020/NĐ-CP): the day
// always has two digits, the month only when it is 1 or 2: "01/6/2022", "11/02/2022".
std::string format_date(model::Date date);

// A plan as a document is cited: its kind read from its code, the code and the date it
// was issued ("Kế hoạch 177/KH-UBND ngày 05/8/2022", "Nghị quyết 05-NQ/TU ngày
// 28/3/2022"); a plan without a code is cited by its title.
std::string cite_plan(const model::Plan& plan);
// A rule's basis, its plans cited and joined by "; "; empty without one.
std::string basis_text(const model::RuleSet& rules, const model::Rule& rule);

// How a state reads at a glance — good, needs attention, bad, out of the picture — the
// same in the report, the dashboard and the plan graph. Blue is for what only informs.
enum class Tone { green, amber, red, grey, blue };
Tone tone(eval::RuleState state);
Tone tone(eval::TaskState state);
// The CSS class of a tone: "green", "amber", …
std::string_view tone_class(Tone tone);

std::string_view state_name(eval::RuleState state);  // "Có nguy cơ không đạt"
std::string_view state_name(eval::TaskState state);  // "Quá hạn"

// "I", "II", … "MMXXII"; the number itself outside 1..3999.
std::string roman(int number);

// & < > " ' as character references.
std::string html_escape(std::string_view text);
// `name` in a badge of its tone's colour: <span class="badge TONE">NAME</span>.
std::string html_badge(std::string_view name, Tone tone);
// One CSV field, quoted (RFC 4180) when it holds a comma, a quote, CR or LF.
std::string csv_field(std::string_view text);

}  // namespace tiendo::report
