// The report as CSV for Excel: one row per rule result, the reasons whole.
#include <string>
#include <vector>

#include "present/labels.hpp"
#include "present/markup.hpp"
#include "report/committee.hpp"
#include "report/committee_data.hpp"

namespace tiendo::report {

using namespace detail;

std::string csv(const model::RuleSet& rules, const store::Snapshot& snapshot,
                const eval::Results& results, model::Language language) {
  const Report report = build_report(rules, snapshot, results, language);
  const Words& w = report.words();
  std::string out = "\xEF\xBB\xBF";
  out +=
      "stt,nhom,chi_tieu,don_vi,muc_tieu,ket_qua,trang_thai,ly_do,han,can_cu,ghi_chu,dieu_"
      "chinh\r\n";
  for (const Group& group : report.groups) {
    for (const Item& it : group.items) {
      for (const Row& row : it.rows) {
        const bool from = rules.version(it.rule, row.result->version).timing == model::Timing::from;
        const std::vector<std::string> fields = {
            it.stt,
            group.name,
            it.title,
            row.unit,
            row.target,
            row.value,
            std::string(present::label(row.result->state, language)),
            row.reason,
            from && !row.date.empty() ? std::string(w.from) + row.date : row.date,
            it.basis,
            row.note,
            it.history};
        for (std::size_t i = 0; i < fields.size(); ++i) {
          if (i > 0) out += ',';
          out += present::csv_field(fields[i]);
        }
        out += "\r\n";
      }
    }
  }
  return out;
}

}  // namespace tiendo::report
