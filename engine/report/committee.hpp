// The report for the people's committee: the state of every target on a date, laid out
// like the table "Tình hình thực hiện các mục tiêu, chỉ tiêu" of a provincial progress
// report (STT, Chỉ tiêu, Mục tiêu, Kết quả), in Vietnamese, followed by the tasks that
// are late, at risk or blocked. Markdown, one self-contained HTML file, or CSV for
// Excel. Strings only; the command line decides where they go. Labels, numbers and dates
// come from present/, the same as in the e-mail and on the dashboard.
#pragma once

#include <string>

#include "eval/evaluate.hpp"
#include "model/rule_set.hpp"
#include "store/snapshot.hpp"

namespace tiendo::report {

std::string markdown(const model::RuleSet& rules, const store::Snapshot& snapshot,
                     const eval::Results& results);
std::string html(const model::RuleSet& rules, const store::Snapshot& snapshot,
                 const eval::Results& results);
// Header stt,nhom,chi_tieu,don_vi,muc_tieu,ket_qua,trang_thai,ly_do,han,can_cu,dieu_chinh; one row
// per rule result; UTF-8 with a byte order mark and CRLF line ends, as Excel expects.
std::string csv(const model::RuleSet& rules, const store::Snapshot& snapshot,
                const eval::Results& results);

}  // namespace tiendo::report
