// The report as an administrative document (Nghị định 30/2020/NĐ-CP, Phụ lục I): the
// heading, "BÁO CÁO" and its subject, the tables of the HTML report, the recipients and
// the signature. One HTML file that Chromium prints as the PDF and pandoc reads as the
// DOCX, so it says what it means twice: in its stylesheet for the browser, and in
// elements and inline attributes (b, i, u, text-align, column widths) that pandoc keeps.
#include <fmt/format.h>

#include <string>
#include <string_view>

#include "present/format.hpp"
#include "present/labels.hpp"
#include "present/markup.hpp"
#include "report/committee.hpp"
#include "report/committee_data.hpp"

namespace tiendo::report {

namespace {

using namespace detail;
using present::html_escape;

constexpr std::string_view kMotto = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
constexpr std::string_view kSlogan = "Độc lập - Tự do - Hạnh phúc";
constexpr std::string_view kDocumentKind = "BÁO CÁO";
constexpr std::string_view kProvincePrefix = "Tỉnh ";
// What is left blank for the office to write the number in: "Số:      /BC-UBND".
constexpr std::string_view kNumberBlank = "\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0";

// Sizes as the decree gives them (points): heading 12–13, motto 13–14, the document's name
// 13–14, body 13–14, "Nơi nhận" 12 and its list 11. Tables are smaller, to fit A4 portrait.
// The heading's columns (41% and 59% of 165 mm) hold "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and
// "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ" at 12 pt on one line each.
constexpr std::string_view kStyle = R"css(
@page { size: A4; margin: 20mm 15mm 20mm 30mm;
        @top-center { content: counter(page); font: 13pt "Times New Roman", Tinos,
                      "Liberation Serif", serif; } }
@page :first { @top-center { content: none; } }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
figure.chart { margin: 0 0 4pt; max-width: 150mm; break-inside: avoid; }
figure.chart svg { width: 100%; height: auto; display: block; }
body { margin: 0; color: #000; background: #fff;
       font: 13pt/1.3 "Times New Roman", Tinos, "Liberation Serif", "DejaVu Serif", serif; }
main { max-width: 165mm; margin: 0 auto; }
table { width: 100%; border-collapse: collapse; }
table.heading td, table.closing td { border: 0; padding: 0; vertical-align: top; }
table.heading { font-size: 12pt; line-height: 1.25; margin-bottom: 6pt; }
table.heading .issuer { text-wrap: balance; }
table.heading td { padding-bottom: 4pt; }
table.heading .slogan { font-size: 13pt; }
table.heading .rule { width: 40%; margin: 2pt auto 0; border-top: 1px solid #000; }
h1 { font-size: 14pt; text-align: center; margin: 18pt 0 12pt; line-height: 1.35; }
h2 { font-size: 13pt; margin: 12pt 0 6pt; break-after: avoid; page-break-after: avoid; }
p { margin: 0 0 6pt; text-align: justify; }
table.targets, table.tasks { font-size: 11pt; line-height: 1.25; margin: 6pt 0 12pt; }
table.targets th, table.targets td, table.tasks th, table.tasks td {
  border: 1px solid #000; padding: 2pt 4pt; vertical-align: top; text-align: left; }
thead th { text-align: center; font-weight: bold; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
table td.stt, table th.stt { text-align: center; }
td.target, td.date { white-space: nowrap; }
.muted, .reason, .note { font-size: 10pt; }
.note { font-style: italic; }
.value { font-weight: bold; }
table.closing { margin-top: 12pt; break-inside: avoid; page-break-inside: avoid; }
td.recipients { font-size: 11pt; line-height: 1.2; }
td.recipients p { text-align: left; }
td.recipients .label { font-size: 12pt; }
td.signature p { text-align: center; margin: 0; }
td.signature .space { height: 26mm; }
)css";

std::string province_of(const store::Snapshot& snapshot) {
  const store::SnapshotUnit* root = root_unit(snapshot);
  if (!root) return {};
  const std::string& name = unit_name(*root);
  if (name.starts_with(kProvincePrefix)) return name.substr(kProvincePrefix.size());
  return name;
}

// The committee of the root unit: "UBND TỈNH ĐỒNG NAI".
std::string committee_of(const store::Snapshot& snapshot) {
  const store::SnapshotUnit* root = root_unit(snapshot);
  return root ? "UBND " + present::upper(unit_name(*root)) : std::string();
}

std::string heading(const DocumentForm& form) {
  std::string issuer;
  if (!form.parent_body.empty()) issuer = html_escape(form.parent_body) + "<br>";
  issuer += "<b>" + html_escape(form.issuer) + "</b><div class=\"rule\"></div>";
  const std::string number =
      form.number.starts_with("/") ? std::string(kNumberBlank) + form.number : form.number;
  const std::string date_line = (form.place.empty() ? std::string() : form.place + ", ") +
                                present::format_document_date(form.issued_on);
  return fmt::format(
      "<table class=\"heading\">\n<colgroup><col style=\"width:41%\"><col "
      "style=\"width:59%\"></colgroup>\n<tbody>\n"
      "<tr><td class=\"issuer\" style=\"text-align:center\">{}</td>"
      "<td class=\"motto\" style=\"text-align:center\"><b>{}</b><br><b class=\"slogan\"><u>{}</u>"
      "</b></td></tr>\n"
      "<tr><td class=\"number\" style=\"text-align:center\">Số: {}</td>"
      "<td class=\"place-date\" style=\"text-align:center\"><i>{}</i></td></tr>\n"
      "</tbody>\n</table>\n",
      issuer, kMotto, kSlogan, html_escape(number), html_escape(date_line));
}

std::string closing(const DocumentForm& form) {
  std::string recipients = "<p><b class=\"label\"><i>Nơi nhận:</i></b>";
  for (std::size_t i = 0; i < form.recipients.size(); ++i) {
    recipients +=
        "<br>- " + html_escape(form.recipients[i]) + (i + 1 == form.recipients.size() ? "." : ";");
  }
  recipients += "</p>";
  std::string signature;
  if (!form.sign_as.empty()) {
    signature += "<p><b>";
    for (std::size_t i = 0; i < form.sign_as.size(); ++i) {
      signature += (i == 0 ? "" : "<br>") + html_escape(form.sign_as[i]);
    }
    signature += "</b></p>";
  }
  // The room for the signature and the seal; pandoc keeps line breaks, not heights.
  signature += "<p class=\"space\"><br><br><br><br></p>";
  if (!form.signer.empty()) signature += "<p><b>" + html_escape(form.signer) + "</b></p>";
  return fmt::format(
      "<table class=\"closing\">\n<colgroup><col style=\"width:45%\"><col "
      "style=\"width:55%\"></colgroup>\n<tbody>\n<tr><td class=\"recipients\">{}</td>"
      "<td class=\"signature\" style=\"text-align:center\">{}</td></tr>\n</tbody>\n</table>\n",
      recipients, signature);
}

}  // namespace

DocumentForm document_form(const DocumentOptions& options, const store::Snapshot& snapshot,
                           model::Date at) {
  DocumentForm form;
  const std::string committee = committee_of(snapshot);
  const bool own_issuer = options.issuer.has_value();
  form.issuer = own_issuer ? present::upper(*options.issuer) : committee;
  form.parent_body = options.parent_body ? present::upper(*options.parent_body)
                                         : (own_issuer ? committee : std::string());
  form.number = options.number.value_or(own_issuer ? "/BC" : "/BC-UBND");
  form.place = options.place.value_or(province_of(snapshot));
  form.issued_on = options.issued_on.value_or(at);
  form.subject = options.subject.value_or("Tiến độ thực hiện mục tiêu, chỉ tiêu đến ngày " +
                                          present::format_date(at));
  if (!options.sign_as.empty()) {
    for (const std::string& line : options.sign_as) form.sign_as.push_back(present::upper(line));
  } else if (!own_issuer) {
    form.sign_as = {"TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"};
  }
  form.signer = options.signer.value_or("");
  form.recipients =
      options.recipients.empty() ? std::vector<std::string>{"Lưu: VT"} : options.recipients;
  return form;
}

std::string document_html(const model::RuleSet& rules, const store::Snapshot& snapshot,
                          const eval::Results& results, const DocumentForm& form,
                          const ReportOptions& options) {
  const Report report = build_report(rules, snapshot, results, model::Language::vi, options);
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n";
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'\">\n";
  out += fmt::format("<title>{} – {}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
                     html_escape(words(model::Language::vi).title), present::format_date(report.at),
                     kStyle);
  out += heading(form);
  out += fmt::format("<h1>{}<br>{}</h1>\n", kDocumentKind, html_escape(form.subject));
  out += html_changes(rules, snapshot, report);
  out += fmt::format("<h2>I. {}</h2>\n<p>{}</p>\n",
                     html_escape(words(model::Language::vi).targets_heading),
                     html_escape(rule_summary(report)));
  out += html_targets_table(report, HtmlLayout::document);
  out += fmt::format("<h2>II. {}</h2>\n<p>{}</p>\n",
                     html_escape(words(model::Language::vi).tasks_heading),
                     html_escape(task_summary(report)));
  out += html_tasks_table(report, HtmlLayout::document);
  out += closing(form);
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace tiendo::report
