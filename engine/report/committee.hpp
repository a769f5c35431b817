// The report for the people's committee: the state of every target on a date, laid out
// like the table "Tình hình thực hiện các mục tiêu, chỉ tiêu" of a provincial progress
// report (STT, Chỉ tiêu, Mục tiêu, Kết quả), in Vietnamese (or English), followed by the tasks that
// are late, at risk or blocked. Markdown, one self-contained HTML file, or CSV for
// Excel. Strings only; the command line decides where they go. Labels, numbers and dates
// come from present/, the same as in the e-mail and on the dashboard.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eval/evaluate.hpp"
#include "model/rule_set.hpp"
#include "store/runs.hpp"
#include "store/snapshot.hpp"

namespace tiendo::report {

// What changed from an earlier run to the report's evaluation (`report --since DATE`):
// said first, before the tables.
struct SinceChanges {
  model::Date since;                        // the date asked
  std::int64_t run = 0;                     // the run compared with: the latest on or before it
  model::Date run_at;                       // that run's evaluation date
  std::vector<store::StateChange> changes;  // states that differ, by key
  store::AlertCounts alerts;                // in the runs after it
};

struct ReportOptions {
  // A trend chart (inline SVG) under each target row with two observations or more: html
  // and the document's PDF (pandoc's DOCX leaves them out). The snapshot must still hold
  // its observations.
  bool charts = false;
  const SinceChanges* since = nullptr;
};

// In Vietnamese by default; in English (`language` en) every word the report writes is
// English, and its figures and dates are written as English text writes them (9.23%,
// 2022-09-30); what the data says (titles, names, notes, groups) is as written.
std::string markdown(const model::RuleSet& rules, const store::Snapshot& snapshot,
                     const eval::Results& results, model::Language language = model::Language::vi,
                     const ReportOptions& options = {});
std::string html(const model::RuleSet& rules, const store::Snapshot& snapshot,
                 const eval::Results& results, model::Language language = model::Language::vi,
                 const ReportOptions& options = {});
// Header stt,nhom,chi_tieu,don_vi,muc_tieu,ket_qua,trang_thai,ly_do,han,can_cu,dieu_chinh; one row
// per rule result; UTF-8 with a byte order mark and CRLF line ends, as Excel expects.
// The header is the same in both languages (it names columns for programs).
std::string csv(const model::RuleSet& rules, const store::Snapshot& snapshot,
                const eval::Results& results, model::Language language = model::Language::vi);

// ---------------------------------------------------------------------------------------
// The report as the committee sends it: an administrative document laid out as Nghị định
// 30/2020/NĐ-CP lays out a báo cáo (committee_document.cpp)

// What the person issuing the report says of it; whatever is left unset comes from the
// data (document_form).
struct DocumentOptions {
  std::optional<std::string> issuer;       // "Ban Chỉ đạo chuyển đổi số"
  std::optional<std::string> parent_body;  // the body it belongs to; "" for none
  std::optional<std::string> number;       // "123/BC-BCĐ", what follows "Số: "
  std::optional<std::string> place;        // "Đồng Nai"
  std::optional<model::Date> issued_on;
  std::optional<std::string> subject;  // the trích yếu under "BÁO CÁO"
  std::vector<std::string> sign_as;   // "TM. BAN CHỈ ĐẠO", "TRƯỞNG BAN"; empty: the default
  std::optional<std::string> signer;  // the name under the signature
  std::vector<std::string> recipients;  // "UBND tỉnh (b/c)", "Lưu: VT"; empty: the default
};

// The document's own lines, every one decided.
struct DocumentForm {
  std::string parent_body;  // upper case; empty: none
  std::string issuer;       // upper case
  std::string number;       // "123/BC-BCĐ", or "/BC-UBND" for the office to number
  std::string place;
  model::Date issued_on;
  std::string subject;
  std::vector<std::string> sign_as;  // upper case
  std::string signer;                // empty: left for the signer to write
  std::vector<std::string> recipients;
};

// `options` completed from the data. The root unit (the first without a parent) names
// the province: its name without a leading "Tỉnh " is the place ("Tỉnh Đồng Nai" →
// "Đồng Nai"; "Thành phố Hồ Chí Minh" stays whole). Without --issuer the issuer is the
// province's people's committee, "UBND TỈNH ĐỒNG NAI" ("UBND " + the root's name in upper
// case), with no parent body, number "/BC-UBND" and the signature "TM. ỦY BAN NHÂN DÂN" /
// "CHỦ TỊCH"; with an issuer, the parent body defaults to that committee, the number to
// "/BC" and the signature to none but the signer's name. Issuer, parent body and
// signature lines are put in upper case as the decree writes them. The date defaults to
// `at`, the subject to "Tiến độ thực hiện mục tiêu, chỉ tiêu đến ngày 30/9/2022", the
// recipients to "Lưu: VT". A snapshot without units leaves the issuer and place empty.
DocumentForm document_form(const DocumentOptions& options, const store::Snapshot& snapshot,
                           model::Date at);

// One self-contained HTML file, A4 portrait at the decree's margins, Times New Roman
// (Liberation Serif where it is not installed): the heading (the issuer left, the national
// motto right, the number, the place and date), "BÁO CÁO" and its subject, the tables
// of html() (the state in words, without badges or bars), and the recipients and
// signature block. Printed by Chromium it is the PDF; read by pandoc, the DOCX. Nothing
// in it is fetched or run: a Content-Security-Policy forbids both.
std::string document_html(const model::RuleSet& rules, const store::Snapshot& snapshot,
                          const eval::Results& results, const DocumentForm& form,
                          const ReportOptions& options = {});

}  // namespace tiendo::report
