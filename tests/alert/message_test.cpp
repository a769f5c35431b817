// The messages a digest becomes: the Vietnamese e-mail (subject, text, HTML), the native
// webhook body checked against docs/webhook.schema.json, and the two Alertmanager forms.
// Digests are built by hand so that every figure, kind and edge case is under control.
#include "alert/message.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "../e2e/run.hpp"
#include "notify/signature.hpp"
#include "support/languages.hpp"

namespace tiendo::alert {
namespace {

using testing::ascii_words;
using testing::has_vietnamese_letter;

using model::Date;
using model::Severity;
using nlohmann::json;
using testing::read_text;
using testing::shell_quote;
using testing::TempDir;
using testing::write_text;

Date day(int y, unsigned m, unsigned d) {
  return Date{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}

const std::string kSourceDir = TIENDO_SOURCE_DIR;

AlertFacts rule_facts(const std::string& name, const std::string& title, const std::string& unit,
                      const std::string& unit_name, const std::string& state, Severity severity) {
  AlertFacts a;
  a.fingerprint = fingerprint(Subject::rule, name, unit);
  a.subject = Subject::rule;
  a.name = name;
  a.title = title;
  a.unit = unit;
  a.unit_name = unit_name;
  a.state = state;
  a.severity = severity;
  a.source = "rules/dong-nai-2022.rules:" + std::to_string(10 + name.size());
  a.owner = "Sở Thông tin và Truyền thông";
  a.labels = {{"subject", "rule"},
              {"rule", name},
              {"unit", unit},
              {"owner", a.owner},
              {"severity", std::string(model::to_string(severity))},
              {"state", state}};
  return a;
}

AlertFacts task_facts(const std::string& name, const std::string& title, const std::string& state,
                      Severity severity) {
  AlertFacts a;
  a.fingerprint = fingerprint(Subject::task, name, "");
  a.subject = Subject::task;
  a.name = name;
  a.title = title;
  a.state = state;
  a.severity = severity;
  a.source = "rules/dong-nai-2022.rules:" + std::to_string(100 + name.size());
  a.owner = "Sở Kế hoạch và Đầu tư";
  a.labels = {{"subject", "task"},
              {"task", name},
              {"unit", ""},
              {"owner", a.owner},
              {"severity", std::string(model::to_string(severity))},
              {"state", state},
              {"plan", "cds_2022"}};
  return a;
}

Notification notification(NotifyKind kind, AlertFacts facts, std::optional<Date> since) {
  Notification n;
  n.kind = kind;
  n.alert = std::move(facts);
  n.since = since;
  return n;
}

// Everything a digest can hold, in the order reconcile gives it: most severe first,
// resolutions last.
Digest full_digest() {
  Digest d;
  d.channel = "steering_committee";
  d.kind = model::Channel::Kind::email;
  d.run_id = 42;
  d.at = day(2022, 9, 30);

  // 1. A critical rule that fires, with every figure and a message.
  AlertFacts online = rule_facts("online_dossier_2022", "Tỷ lệ hồ sơ trực tuyến toàn trình",
                                 "dong_nai", "Đồng Nai", "at_risk", Severity::critical);
  online.percent = true;
  online.value = 0.7762;
  online.target = 0.8;
  online.deadline = day(2022, 12, 31);
  online.projected = 0.781;
  online.rate_needed = 0.034;
  online.rate_observed = 0.012;
  online.condition = "online_dossier_rate >= 80% by 2022-12-31";
  online.reason = {"77,62% hiện nay, yêu cầu ≥ 80% hạn 31/12/2022; dự báo 78,1%",
                   "77.62% now, >= 80% by 2022-12-31; projected 78.1%"};
  online.message = {"Đồng Nai mới đạt 77,62%, cần 80% trước 31/12/2022",
                    "Đồng Nai reached 77.62%, needs 80% by 2022-12-31"};
  online.plan = "cds_2022";
  online.plan_code = "177/KH-UBND";
  online.plan_title = "Kế hoạch chuyển đổi số tỉnh Đồng Nai năm 2022";
  online.labels.emplace_back("nhóm", "Chính quyền số");
  online.labels.emplace_back("2022-target", "yes");
  d.items.push_back(notification(NotifyKind::fired, online, day(2022, 9, 1)));

  // 2. An overdue task that holds back two blocked rules.
  AlertFacts kho =
      task_facts("kho", "Xây dựng kho dữ liệu dùng chung", "overdue", Severity::critical);
  kho.deadline = day(2022, 8, 31);
  kho.earliest_finish = day(2022, 11, 15);
  kho.reason = {"hạn 31/8/2022, chưa hoàn thành", "due 2022-08-31, not done"};
  kho.plan = "cds_2022";
  kho.plan_code = "177/KH-UBND";
  kho.plan_title = "Kế hoạch chuyển đổi số tỉnh Đồng Nai năm 2022";
  Notification task = notification(NotifyKind::fired, kho, day(2022, 9, 1));
  for (const auto& [name, title] : std::vector<std::pair<std::string, std::string>>{
           {"open_data", "Dữ liệu mở"}, {"shared_data", "Chia sẻ dữ liệu"}}) {
    AlertFacts blocked =
        rule_facts(name, title, "dong_nai", "Đồng Nai", "blocked", Severity::warning);
    blocked.chain = {"cong", "kho"};
    blocked.reason = {"cần nhiệm vụ “Cổng dữ liệu mở”, bị chặn", "blocked by task cong"};
    task.held_back.push_back(notification(NotifyKind::fired, blocked, day(2022, 9, 30)));
  }
  d.items.push_back(task);

  // 3. A change, with plain numbers.
  AlertFacts accounts = rule_facts("vneid_accounts", "Số tài khoản định danh điện tử", "dong_nai",
                                   "Đồng Nai", "missed", Severity::warning);
  accounts.value = 3103499;
  accounts.target = 3500000;
  accounts.deadline = day(2022, 9, 30);
  accounts.rate_needed = 125000;
  accounts.rate_observed = -1200.5;
  accounts.reason = {"3.103.499 hiện nay, yêu cầu ≥ 3.500.000 hạn 30/9/2022",
                     "3103499 now, >= 3500000 by 2022-09-30"};
  d.items.push_back(notification(NotifyKind::changed, accounts, day(2022, 8, 15)));

  // 4. A reminder with a `between` target.
  AlertFacts share = rule_facts("paper_share", "Tỷ lệ hồ sơ giấy", "bien_hoa", "Thành phố Biên Hòa",
                                "violated", Severity::warning);
  share.percent = true;
  share.value = 0.655;
  share.target = 0.4;
  share.upper = 0.6;
  share.reason = {"65,5%, yêu cầu trong khoảng 40% – 60%", "65.5% not between 40% and 60%"};
  d.items.push_back(notification(NotifyKind::repeated, share, day(2022, 7, 1)));

  // 5. A reminder without any figure.
  AlertFacts nodata = rule_facts("dvc_reports", "Báo cáo dịch vụ công", "long_khanh",
                                 "Thành phố Long Khánh", "no_data", Severity::info);
  nodata.reason = {"chưa có số liệu dvc_reports tại Long Khánh",
                   "no observation of dvc_reports for long_khanh"};
  d.items.push_back(notification(NotifyKind::repeated, nodata, std::nullopt));

  // 6. A resolution sent although a silence matches it now.
  AlertFacts fixed = rule_facts("broadband", "Tỷ lệ hộ gia đình có cáp quang", "dong_nai",
                                "Đồng Nai", "met", Severity::none);
  fixed.percent = true;
  fixed.value = 0.9;
  fixed.target = 0.85;
  fixed.reason = {"90%, yêu cầu ≥ 85%", "90% now, >= 85%"};
  Notification silenced = notification(NotifyKind::resolved, fixed, day(2022, 6, 1));
  silenced.silenced = true;
  d.items.push_back(silenced);

  // 7. A task that is done.
  AlertFacts done = task_facts("cong", "Nâng cấp cổng dịch vụ công", "done", Severity::none);
  done.deadline = day(2022, 9, 15);
  d.items.push_back(notification(NotifyKind::resolved, done, day(2022, 9, 1)));

  d.fired = 4;  // online, kho, and the two rules kho holds back
  d.changed = 1;
  d.repeated = 2;
  d.resolved = 2;
  return d;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

// Positions of the parts, in order; fails the test when one is missing.
std::vector<std::size_t> positions(const std::string& text, const std::vector<std::string>& parts) {
  std::vector<std::size_t> out;
  for (const std::string& part : parts) {
    const std::size_t at = text.find(part);
    EXPECT_NE(at, std::string::npos) << "missing: " << part;
    out.push_back(at);
  }
  return out;
}

// The block of the plain text that belongs to the n-th item (1-based).
std::string text_item(const std::string& text, int n) {
  const std::size_t begin = text.find("\n" + std::to_string(n) + ". ");
  if (begin == std::string::npos) return {};
  std::size_t end = text.find("\n" + std::to_string(n + 1) + ". ", begin + 1);
  if (end == std::string::npos) end = text.find("\n-- \n", begin);
  return text.substr(begin, end - begin);
}

void expect_no_missing_figure_words(const std::string& text) {
  static const std::regex kMissing(R"(\b(nan|NaN|inf|nullopt|null|undefined)\b|∞)");
  std::smatch match;
  EXPECT_FALSE(std::regex_search(text, match, kMissing)) << "found '" << match.str() << "' in:\n"
                                                         << text;
}

// What validate() found; `status` tells its kinds of outcome apart.
struct Validation {
  static constexpr int kValid = 0;
  static constexpr int kInvalid = 1;       // the instance breaks the schema
  static constexpr int kBrokenSchema = 2;  // the schema itself is not a 2020-12 schema
  static constexpr int kNoJsonschema = 3;  // Python's jsonschema cannot be imported
  int status = -1;                         // the checker's exit status; -1: it did not exit
  std::string output;
};

// Checks `instance` against the JSON Schema at `schema_path` with Python's jsonschema
// (draft 2020-12), checking the schema itself first. The output is "valid", or one line
// per error, sorted by place: "invalid at /alerts/0: VALIDATOR: MESSAGE" (the JSON
// pointer of the offending value, the schema keyword it breaks, jsonschema's message).
Validation validate(const std::string& schema_path, const std::string& instance) {
  TempDir dir;
  const std::string instance_path = dir.path() + "/body.json";
  const std::string output_path = dir.path() + "/output.txt";
  write_text(instance_path, instance);
  const std::string program =
      "import json, sys\n"
      "try:\n"
      "    from jsonschema import Draft202012Validator\n"
      "except ImportError as e:\n"
      "    print('cannot import jsonschema (Debian package python3-jsonschema):', e)\n"
      "    sys.exit(3)\n"
      "schema = json.load(open(sys.argv[1], encoding='utf-8'))\n"
      "try:\n"
      "    Draft202012Validator.check_schema(schema)\n"
      "except Exception as e:\n"
      "    print('the schema is not valid:', getattr(e, 'message', e))\n"
      "    sys.exit(2)\n"
      "instance = json.load(open(sys.argv[2], encoding='utf-8'))\n"
      "errors = sorted(Draft202012Validator(schema).iter_errors(instance),\n"
      "                key=lambda e: [str(p) for p in e.absolute_path])\n"
      "for e in errors:\n"
      "    where = ''.join('/' + str(p) for p in e.absolute_path)\n"
      "    print('invalid at %s: %s: %s' % (where or '/', e.validator, e.message))\n"
      "if not errors:\n"
      "    print('valid')\n"
      "sys.exit(1 if errors else 0)\n";
  const std::string command = "/usr/bin/python3 -c " + shell_quote(program) + " " +
                              shell_quote(schema_path) + " " + shell_quote(instance_path) + " >" +
                              shell_quote(output_path) + " 2>&1";
  const int status = std::system(command.c_str());
  Validation v;
  v.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  v.output = read_text(output_path);
  return v;
}

const std::string kSchemaPath = kSourceDir + "/docs/webhook.schema.json";

// ---------------------------------------------------------------------------------------
// E-mail

TEST(MessageEmail, SubjectNamesTheNonZeroCountsAndTheMostSevereFiringLevel) {
  const EmailContent mail = render_email(full_digest());
  EXPECT_EQ(mail.subject,
            "[tiendo] NGHIÊM TRỌNG – 30/9/2022: 4 cảnh báo mới, 1 thay đổi, 2 nhắc lại, 2 đã "
            "khắc phục");

  Digest d;
  d.channel = "mail";
  d.at = day(2022, 10, 1);
  AlertFacts a = rule_facts("r", "Chỉ tiêu", "dong_nai", "Đồng Nai", "at_risk", Severity::warning);
  d.items.push_back(notification(NotifyKind::repeated, a, day(2022, 9, 1)));
  // A critical alert that resolves does not make the message critical.
  AlertFacts b = rule_facts("s", "Khác", "dong_nai", "Đồng Nai", "met", Severity::critical);
  d.items.push_back(notification(NotifyKind::resolved, b, day(2022, 9, 1)));
  d.repeated = 1;
  d.resolved = 1;
  EXPECT_EQ(render_email(d).subject, "[tiendo] CẢNH BÁO – 01/10/2022: 1 nhắc lại, 1 đã khắc phục");

  d.items.erase(d.items.begin());
  d.repeated = 0;
  EXPECT_EQ(render_email(d).subject, "[tiendo] 01/10/2022: 1 đã khắc phục");
}

TEST(MessageEmail, AHeldBackCriticalAlertRaisesTheLevel) {
  Digest d;
  d.channel = "mail";
  d.at = day(2022, 10, 1);
  Notification task =
      notification(NotifyKind::repeated, task_facts("t", "Nhiệm vụ", "blocked", Severity::warning),
                   day(2022, 9, 1));
  task.held_back.push_back(notification(
      NotifyKind::fired, rule_facts("r", "Chỉ tiêu", "u", "U", "blocked", Severity::critical),
      day(2022, 10, 1)));
  d.items.push_back(task);
  d.fired = 1;
  d.repeated = 1;
  EXPECT_EQ(render_email(d).subject,
            "[tiendo] NGHIÊM TRỌNG – 01/10/2022: 1 cảnh báo mới, 1 nhắc lại");
}

TEST(MessageEmail, BodiesStartWithTheSummaryLine) {
  const EmailContent mail = render_email(full_digest());
  const std::string summary = "30/9/2022: 4 cảnh báo mới, 1 thay đổi, 2 nhắc lại, 2 đã khắc phục";
  EXPECT_EQ(mail.text.rfind(summary + "\n", 0), 0u) << mail.text;
  const std::size_t body = mail.html.find("<body");
  ASSERT_NE(body, std::string::npos);
  const std::size_t h1 = mail.html.find("<h1", body);
  const std::size_t table = mail.html.find("<table", body);
  ASSERT_NE(h1, std::string::npos);
  EXPECT_LT(h1, table);
  EXPECT_NE(mail.html.find(summary, h1), std::string::npos);
  EXPECT_LT(mail.html.find(summary, h1), table);
}

TEST(MessageEmail, AnEmptyDigestSaysThereIsNothingNew) {
  Digest d;
  d.channel = "mail";
  d.at = day(2022, 10, 1);
  const EmailContent mail = render_email(d);
  EXPECT_EQ(mail.subject, "[tiendo] 01/10/2022: không có gì mới");
  EXPECT_EQ(mail.html.find("<table"), std::string::npos);
}

TEST(MessageEmail, FiguresAreWrittenTheVietnameseWay) {
  const EmailContent mail = render_email(full_digest());
  const std::string online = text_item(mail.text, 1);
  EXPECT_NE(online.find("Giá trị: 77,62%; mục tiêu: 80%; hạn: 31/12/2022; dự báo: 78,1%"),
            std::string::npos)
      << online;
  EXPECT_NE(online.find("Tốc độ cần: +3,4 điểm %/tháng; tốc độ hiện tại: +1,2 điểm %/tháng"),
            std::string::npos)
      << online;
  EXPECT_NE(online.find("từ 01/9/2022"), std::string::npos) << online;

  const std::string accounts = text_item(mail.text, 3);
  EXPECT_NE(accounts.find("Giá trị: 3.103.499; mục tiêu: 3.500.000; hạn: 30/9/2022"),
            std::string::npos)
      << accounts;
  EXPECT_NE(accounts.find("Tốc độ cần: +125.000/tháng; tốc độ hiện tại: -1.200,5/tháng"),
            std::string::npos)
      << accounts;

  const std::string share = text_item(mail.text, 4);
  EXPECT_NE(share.find("Giá trị: 65,5%; mục tiêu: từ 40% đến 60%"), std::string::npos) << share;

  const std::string kho = text_item(mail.text, 2);
  EXPECT_NE(kho.find("Hạn: 31/8/2022; sớm nhất xong: 15/11/2022"), std::string::npos) << kho;

  for (const char* figure :
       {"77,62%", "3.103.499", "+3,4 điểm %/tháng", "31/12/2022", "từ 40% đến 60%"}) {
    EXPECT_NE(mail.html.find(figure), std::string::npos) << figure;
  }
}

TEST(MessageEmail, KindsSeveritiesAndStatesAreInVietnamese) {
  const std::string text = render_email(full_digest()).text;
  EXPECT_NE(text_item(text, 1).find("Mới · nghiêm trọng · có nguy cơ không đạt · từ 01/9/2022"),
            std::string::npos)
      << text;
  EXPECT_NE(text_item(text, 2).find("Mới · nghiêm trọng · quá hạn"), std::string::npos);
  EXPECT_NE(text_item(text, 3).find("Thay đổi · cảnh báo · không đạt"), std::string::npos);
  EXPECT_NE(text_item(text, 4).find("Nhắc lại · cảnh báo · vi phạm"), std::string::npos);
  EXPECT_NE(text_item(text, 5).find("Nhắc lại · thông tin · chưa có số liệu"), std::string::npos);
  EXPECT_NE(
      text_item(text, 6).find("Đã khắc phục · đạt · phát sinh từ 01/6/2022 · đang tắt thông báo"),
      std::string::npos);
  EXPECT_NE(text_item(text, 7).find("Đã khắc phục · hoàn thành"), std::string::npos);
  // The English state names never reach people.
  for (const char* english : {"at_risk", "overdue", "missed", "violated", "no_data", "critical",
                              "warning", "fired", "resolved"}) {
    for (int i = 1; i <= 7; ++i) {
      const std::string item = text_item(text, i);
      const std::size_t status_end = item.find('\n', item.find('\n', 1) + 1);
      EXPECT_EQ(item.substr(0, status_end).find(english), std::string::npos)
          << english << " in item " << i;
    }
  }
}

// Issue #12: a task nobody reports on fires as "chưa báo cáo", and a task's message says
// what its last report noted, in every form the message takes.
Digest silent_task_digest() {
  Digest d;
  d.channel = "steering_committee";
  d.run_id = 7;
  d.at = day(2022, 10, 15);
  AlertFacts silent = task_facts("nhiem_vu_797", "Hoàn thành 22 nhiệm vụ, giải pháp", "no_report",
                                 Severity::warning);
  silent.deadline = day(2022, 12, 31);
  silent.reason = {"chưa báo cáo tình trạng; bắt đầu từ 01/10/2022",
                   "no status reported; it starts 2022-10-01"};
  d.items.push_back(notification(NotifyKind::fired, silent, day(2022, 10, 1)));
  AlertFacts slow =
      task_facts("thu_tuc_dau_tu", "Thủ tục đầu tư kho dữ liệu", "at_risk", Severity::warning);
  slow.deadline = day(2022, 12, 31);
  slow.note = "vướng thủ tục đầu tư";
  d.items.push_back(notification(NotifyKind::fired, slow, day(2022, 10, 15)));
  d.fired = 2;
  return d;
}

TEST(MessageTask, NoReportAndTheReportsNoteAreInEveryForm) {
  const Digest d = silent_task_digest();
  const EmailContent email = render_email(d);
  EXPECT_NE(text_item(email.text, 1).find("Mới · cảnh báo · chưa báo cáo · từ 01/10/2022"),
            std::string::npos)
      << email.text;
  EXPECT_EQ(text_item(email.text, 1).find("Ghi chú báo cáo"), std::string::npos) << email.text;
  EXPECT_NE(text_item(email.text, 2).find("Ghi chú báo cáo: vướng thủ tục đầu tư"),
            std::string::npos)
      << email.text;
  EXPECT_NE(email.html.find("vướng thủ tục đầu tư"), std::string::npos);
  EXPECT_NE(email.html.find("chưa báo cáo"), std::string::npos);

  const std::string webhook = render_webhook(d);
  const json body = json::parse(webhook);
  EXPECT_EQ(body["alerts"][0]["state"], "no_report");
  EXPECT_EQ(body["alerts"][0]["note"], "");
  EXPECT_EQ(body["alerts"][1]["note"], "vướng thủ tục đầu tư");
  const Validation v = validate(kSchemaPath, webhook);
  EXPECT_EQ(v.status, 0) << v.output;

  const json am = json::parse(render_alertmanager_webhook(d, "2022-10-15T01:00:00Z"));
  EXPECT_EQ(am["alerts"][0]["annotations"]["state"], "no_report");
  EXPECT_FALSE(am["alerts"][0]["annotations"].contains("note"));
  EXPECT_EQ(am["alerts"][1]["annotations"]["note"], "vướng thủ tục đầu tư");
}

// Issue #16: a rule's value that rests on an estimate is "khoảng 83,5%" wherever it is
// written, and the notes of its observations travel with it ("Ghi chú số liệu").
TEST(MessageRule, AnEstimatedValueAndItsNoteAreInEveryForm) {
  Digest d;
  d.channel = "bcd";
  d.kind = model::Channel::Kind::email;
  d.run_id = 7;
  d.at = day(2022, 9, 30);
  AlertFacts phones = rule_facts("smartphone_2022", "Tỷ lệ dân số có điện thoại thông minh",
                                 "dong_nai", "Đồng Nai", "at_risk", Severity::warning);
  phones.percent = true;
  phones.value = 0.835;
  phones.target = 0.9;
  phones.deadline = day(2022, 12, 31);
  phones.estimate = true;
  phones.note = "mục I.5.a: đạt khoảng 83,5%";
  d.items.push_back(notification(NotifyKind::fired, phones, day(2022, 9, 30)));
  AlertFacts exact = rule_facts("online_dossier_2022", "Tỷ lệ hồ sơ xử lý trực tuyến", "dong_nai",
                                "Đồng Nai", "at_risk", Severity::critical);
  exact.percent = true;
  exact.value = 0.0923;
  d.items.push_back(notification(NotifyKind::fired, exact, day(2022, 9, 30)));
  d.fired = 2;

  const EmailContent email = render_email(d);
  const std::string first = text_item(email.text, 1);
  EXPECT_NE(first.find("Giá trị: khoảng 83,5%; mục tiêu: 90%"), std::string::npos) << first;
  EXPECT_NE(first.find("Ghi chú số liệu: mục I.5.a: đạt khoảng 83,5%"), std::string::npos) << first;
  EXPECT_EQ(first.find("Ghi chú báo cáo"), std::string::npos) << first;
  const std::string second = text_item(email.text, 2);
  EXPECT_NE(second.find("Giá trị: 9,23%"), std::string::npos) << second;
  EXPECT_EQ(second.find("khoảng"), std::string::npos) << second;
  EXPECT_EQ(second.find("Ghi chú"), std::string::npos) << second;
  EXPECT_NE(email.html.find("khoảng 83,5%"), std::string::npos);
  EXPECT_NE(email.html.find("mục I.5.a: đạt khoảng 83,5%"), std::string::npos);

  const std::string webhook = render_webhook(d);
  const json body = json::parse(webhook);
  EXPECT_EQ(body["alerts"][0]["estimate"], true);
  EXPECT_EQ(body["alerts"][0]["value"], 0.835);
  EXPECT_EQ(body["alerts"][0]["note"], "mục I.5.a: đạt khoảng 83,5%");
  EXPECT_EQ(body["alerts"][1]["estimate"], false);
  const Validation v = validate(kSchemaPath, webhook);
  EXPECT_EQ(v.status, 0) << v.output;

  for (const json& alerts :
       {json::parse(render_alertmanager_webhook(d, "2022-10-01T01:00:00Z"))["alerts"],
        json::parse(render_alertmanager_push(d, "2022-10-01T01:00:00Z"))}) {
    ASSERT_EQ(alerts.size(), 2u) << alerts.dump();
    EXPECT_EQ(alerts[0]["annotations"]["value"], "khoảng 83,5%");
    EXPECT_EQ(alerts[0]["annotations"]["estimate"], "true");
    EXPECT_EQ(alerts[0]["annotations"]["note"], "mục I.5.a: đạt khoảng 83,5%");
    EXPECT_EQ(alerts[1]["annotations"]["value"], "9,23%");
    EXPECT_FALSE(alerts[1]["annotations"].contains("estimate"));
    EXPECT_FALSE(alerts[1]["annotations"].contains("note"));
  }
}

TEST(MessageEmail, EveryItemSaysWhereItComesFrom) {
  const std::string text = render_email(full_digest()).text;
  const std::string online = text_item(text, 1);
  EXPECT_NE(online.find("Đồng Nai mới đạt 77,62%, cần 80% trước 31/12/2022"), std::string::npos);
  EXPECT_NE(online.find("Kế hoạch: 177/KH-UBND – Kế hoạch chuyển đổi số tỉnh Đồng Nai năm 2022"),
            std::string::npos);
  EXPECT_NE(online.find("Nguồn: quy tắc online_dossier_2022, rules/dong-nai-2022.rules:29"),
            std::string::npos)
      << online;
  EXPECT_NE(online.find("Phụ trách: Sở Thông tin và Truyền thông"), std::string::npos);
  // With a message, the reason stays out of the e-mail: the author's words say why.
  EXPECT_EQ(online.find("dự báo 78,1%"), std::string::npos);
  EXPECT_EQ(online.find("projected"), std::string::npos);
  // Without one, the reason, in the channel's language, is all there is to say why.
  EXPECT_NE(text_item(text, 5).find("Chi tiết: chưa có số liệu dvc_reports tại Long Khánh"),
            std::string::npos);
}

TEST(MessageEmail, ItemsKeepTheDigestOrder) {
  const Digest d = full_digest();
  const EmailContent mail = render_email(d);
  const std::vector<std::string> headings = {"1. Tỷ lệ hồ sơ trực tuyến toàn trình – Đồng Nai",
                                             "2. Nhiệm vụ: Xây dựng kho dữ liệu dùng chung",
                                             "3. Số tài khoản định danh điện tử – Đồng Nai",
                                             "4. Tỷ lệ hồ sơ giấy – Thành phố Biên Hòa",
                                             "5. Báo cáo dịch vụ công – Thành phố Long Khánh",
                                             "6. Tỷ lệ hộ gia đình có cáp quang – Đồng Nai",
                                             "7. Nhiệm vụ: Nâng cấp cổng dịch vụ công"};
  const auto text_at = positions(mail.text, headings);
  EXPECT_TRUE(std::is_sorted(text_at.begin(), text_at.end()));

  std::vector<std::string> titles;
  for (const Notification& n : d.items) titles.push_back(n.alert.title);
  const auto html_at = positions(mail.html, titles);
  EXPECT_TRUE(std::is_sorted(html_at.begin(), html_at.end()));
}

TEST(MessageEmail, HeldBackAlertsAppearUnderTheirTaskAndNotOnTheirOwn) {
  const EmailContent mail = render_email(full_digest());
  const std::string kho = text_item(mail.text, 2);
  const auto at =
      positions(kho, {"Nhiệm vụ: Xây dựng kho dữ liệu dùng chung",
                      "Cảnh báo bị giữ lại vì nhiệm vụ này (2):", "- Dữ liệu mở – Đồng Nai",
                      "- Chia sẻ dữ liệu – Đồng Nai"});
  EXPECT_TRUE(std::is_sorted(at.begin(), at.end())) << kho;
  EXPECT_NE(kho.find("Bị chặn theo chuỗi: cong ← kho"), std::string::npos) << kho;
  EXPECT_NE(kho.find("Mới · cảnh báo · bị chặn"), std::string::npos) << kho;
  // Once each in the whole text: under the task only.
  EXPECT_EQ(count_of(mail.text, "Dữ liệu mở"), 1u);
  EXPECT_EQ(count_of(mail.text, "Chia sẻ dữ liệu"), 1u);
  // Seven numbered items, not nine.
  EXPECT_NE(mail.text.find("\n7. "), std::string::npos);
  EXPECT_EQ(mail.text.find("\n8. "), std::string::npos);

  // In the HTML, inside the task's row.
  const std::size_t task_row = mail.html.find("Xây dựng kho dữ liệu dùng chung");
  const std::size_t next_row = mail.html.find("<tr>", task_row);
  ASSERT_NE(task_row, std::string::npos);
  const std::size_t held = mail.html.find("Dữ liệu mở");
  EXPECT_GT(held, task_row);
  EXPECT_LT(held, next_row);
  EXPECT_EQ(count_of(mail.html, "Dữ liệu mở"), 1u);
  EXPECT_EQ(count_of(mail.html, "<tr>"), 1u + 7u);  // the header and seven items
}

TEST(MessageEmail, MissingAndNonFiniteFiguresAreLeftOut) {
  Digest d = full_digest();
  // A figure that somehow is not a number is treated as missing.
  d.items[2].alert.projected = std::numeric_limits<double>::quiet_NaN();
  d.items[2].alert.rate_observed = std::numeric_limits<double>::infinity();
  const EmailContent mail = render_email(d);
  expect_no_missing_figure_words(mail.subject);
  expect_no_missing_figure_words(mail.text);
  expect_no_missing_figure_words(mail.html);
  const std::string nodata = text_item(mail.text, 5);
  EXPECT_EQ(nodata.find("Giá trị"), std::string::npos) << nodata;
  EXPECT_EQ(nodata.find("Mục tiêu"), std::string::npos) << nodata;
  EXPECT_EQ(nodata.find("Tốc độ"), std::string::npos) << nodata;
  EXPECT_EQ(nodata.find("Kế hoạch"), std::string::npos) << nodata;
  EXPECT_EQ(nodata.find(" từ "), std::string::npos) << "no since date: " << nodata;
  const std::string accounts = text_item(mail.text, 3);
  EXPECT_EQ(accounts.find("dự báo"), std::string::npos) << accounts;
  EXPECT_EQ(accounts.find("tốc độ hiện tại"), std::string::npos) << accounts;
  EXPECT_NE(accounts.find("Tốc độ cần: +125.000/tháng"), std::string::npos) << accounts;

  const json body = json::parse(render_webhook(d));
  EXPECT_TRUE(body["alerts"][2]["projected"].is_null());
  EXPECT_TRUE(body["alerts"][2]["rate_observed"].is_null());
}

TEST(MessageEmail, HtmlIsEscapedAndSelfContained) {
  Digest d;
  d.channel = "mail";
  d.at = day(2022, 10, 1);
  AlertFacts a = rule_facts("hostile", "<script>alert(\"x\")</script> & \"quotes\" 'too'",
                            "dong_nai", "Đồng <b>Nai</b>", "at_risk", Severity::critical);
  a.message = {"Giá trị <img src=x onerror=alert(1)>\ndòng hai & ba", ""};
  a.plan_title = "Kế hoạch \"A\" <i>B</i>";
  a.source = "rules/<a>.rules:1";
  d.items.push_back(notification(NotifyKind::fired, a, day(2022, 9, 1)));
  d.fired = 1;
  const EmailContent mail = render_email(d);

  EXPECT_EQ(mail.html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(mail.html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(mail.html.find("</html>"), std::string::npos);
  for (const char* raw : {"<script", "<img", "<b>Nai", "<i>B", "<a>", "\"x\"", "'too'"}) {
    EXPECT_EQ(mail.html.find(raw), std::string::npos) << raw;
  }
  EXPECT_NE(mail.html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
                           "&quot;quotes&quot; &#39;too&#39;"),
            std::string::npos);
  EXPECT_NE(mail.html.find("Đồng &lt;b&gt;Nai&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(mail.html.find("&lt;img src=x onerror=alert(1)&gt;<br>dòng hai &amp; ba"),
            std::string::npos);
  EXPECT_NE(mail.html.find("<title>" + mail.subject + "</title>"), std::string::npos);

  // Nothing to fetch: no links, images, style sheets or scripts.
  EXPECT_EQ(mail.html.find("http"), std::string::npos);
  EXPECT_EQ(mail.html.find("<link"), std::string::npos);
  EXPECT_EQ(mail.html.find("<script"), std::string::npos);
  EXPECT_EQ(mail.html.find("url("), std::string::npos);
  EXPECT_EQ(mail.html.find("src="), mail.html.find("&lt;img src=") + 8);

  // The plain text is not HTML and is not escaped.
  EXPECT_NE(mail.text.find("<script>alert(\"x\")</script> & \"quotes\""), std::string::npos);
  EXPECT_NE(mail.text.find("Giá trị <img src=x onerror=alert(1)>\n"), std::string::npos);
  EXPECT_NE(mail.text.find("   dòng hai & ba\n"), std::string::npos) << mail.text;
  EXPECT_EQ(render_email(full_digest()).html.find("http"), std::string::npos);
}

TEST(MessageEmail, StatesHaveTheirColoursInTheHtml) {
  const std::string html = render_email(full_digest()).html;
  // missed (bad), at_risk (warning), met (good): each badge has its own colours.
  const auto badge = [&](const std::string& name) {
    const std::size_t at = html.find(">" + name + "</span>");
    EXPECT_NE(at, std::string::npos) << name;
    const std::size_t style = html.rfind("style=\"", at);
    return html.substr(style, at - style);
  };
  EXPECT_NE(badge("không đạt").find("#b71c1c"), std::string::npos);
  EXPECT_NE(badge("có nguy cơ không đạt").find("#8a4b00"), std::string::npos);
  EXPECT_NE(badge("đạt").find("#1b5e20"), std::string::npos);
}

TEST(MessageEmail, VietnameseTextPassesThroughInNfc) {
  // NFC, as the rule files and the store keep it: "ệ" is one code point (U+1EC7).
  const std::string title = "Tỷ l\u1EC7 h\u1ED3 s\u01A1 \u0111\u01B0\u1EE3c gi\u1EA3i quy\u1EBFt";
  Digest d;
  d.channel = "mail";
  d.at = day(2022, 10, 1);
  AlertFacts a = rule_facts("nfc", title, "ba_ria", "B\u00E0 R\u1ECBa \u2013 V\u0169ng T\u00E0u",
                            "at_risk", Severity::warning);
  d.items.push_back(notification(NotifyKind::fired, a, day(2022, 9, 1)));
  d.fired = 1;
  const EmailContent mail = render_email(d);
  EXPECT_NE(mail.text.find(title), std::string::npos);
  EXPECT_NE(mail.html.find(title), std::string::npos);
  EXPECT_NE(mail.text.find("B\u00E0 R\u1ECBa \u2013 V\u0169ng T\u00E0u"), std::string::npos);
  // JSON keeps the characters as UTF-8 rather than \u escapes.
  const std::string body = render_webhook(d);
  EXPECT_NE(body.find(title), std::string::npos);
  EXPECT_EQ(json::parse(body)["alerts"][0]["title"], title);
  EXPECT_NE(render_alertmanager_push(d, "2022-10-01T01:00:00Z").find(title), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// The native webhook

TEST(MessageWebhook, TheBodyHasTheDocumentedShape) {
  const json body = json::parse(render_webhook(full_digest()));
  EXPECT_EQ(body["schema"], "tiendo.alerts/v1");
  EXPECT_EQ(body["run_id"], 42);
  EXPECT_EQ(body["channel"], "steering_committee");
  EXPECT_EQ(body["at"], "2022-09-30");
  EXPECT_EQ(body["summary"],
            (json{{"fired", 4}, {"changed", 1}, {"repeated", 2}, {"resolved", 2}}));
  ASSERT_EQ(body["alerts"].size(), 7u);

  const json& online = body["alerts"][0];
  EXPECT_EQ(online["kind"], "fired");
  EXPECT_EQ(online["fingerprint"], fingerprint(Subject::rule, "online_dossier_2022", "dong_nai"));
  EXPECT_EQ(online["subject"], "rule");
  EXPECT_EQ(online["unit_name"], "Đồng Nai");
  EXPECT_EQ(online["state"], "at_risk");
  EXPECT_EQ(online["severity"], "critical");
  EXPECT_EQ(online["since"], "2022-09-01");
  // Raw numbers: fractions for percents.
  EXPECT_EQ(online["percent"], true);
  EXPECT_DOUBLE_EQ(online["value"].get<double>(), 0.7762);
  EXPECT_DOUBLE_EQ(online["target"].get<double>(), 0.8);
  EXPECT_TRUE(online["upper"].is_null());
  EXPECT_EQ(online["deadline"], "2022-12-31");
  EXPECT_DOUBLE_EQ(online["rate_needed"].get<double>(), 0.034);
  EXPECT_EQ(online["plan"], (json{{"name", "cds_2022"},
                                  {"code", "177/KH-UBND"},
                                  {"title", "Kế hoạch chuyển đổi số tỉnh Đồng Nai năm 2022"}}));
  EXPECT_EQ(online["labels"]["nhóm"], "Chính quyền số");
  EXPECT_EQ(online["chain"], json::array());
  EXPECT_EQ(online["held_back"], json::array());
  EXPECT_EQ(online["silenced"], false);

  const json& kho = body["alerts"][1];
  EXPECT_EQ(kho["subject"], "task");
  ASSERT_EQ(kho["held_back"].size(), 2u);
  EXPECT_EQ(kho["held_back"][0]["name"], "open_data");
  EXPECT_EQ(kho["held_back"][0]["chain"], (json{"cong", "kho"}));
  EXPECT_EQ(kho["held_back"][1]["name"], "shared_data");
  EXPECT_EQ(kho["earliest_finish"], "2022-11-15");

  const json& nodata = body["alerts"][4];
  for (const char* figure : {"value", "target", "upper", "deadline", "projected", "rate_needed",
                             "rate_observed", "since", "plan"}) {
    EXPECT_TRUE(nodata[figure].is_null()) << figure;
  }
  EXPECT_EQ(body["alerts"][5]["silenced"], true);
  EXPECT_EQ(body["alerts"][5]["kind"], "resolved");
  EXPECT_DOUBLE_EQ(body["alerts"][2]["value"].get<double>(), 3103499);
  EXPECT_DOUBLE_EQ(body["alerts"][3]["upper"].get<double>(), 0.6);
}

TEST(MessageWebhook, TheBodyValidatesAgainstTheSchema) {
  const Validation full = validate(kSchemaPath, render_webhook(full_digest()));
  EXPECT_EQ(full.status, 0) << full.output;
  EXPECT_EQ(full.output, "valid\n");

  Digest empty;
  empty.channel = "hook";
  empty.at = day(2022, 10, 1);
  const Validation none = validate(kSchemaPath, render_webhook(empty));
  EXPECT_EQ(none.status, 0) << none.output;
}

// Each change breaks the schema where it was made, and only there: the checker names the
// offending value and the keyword it breaks. (A checker that fails for any other reason,
// such as a schema that is not one or a missing jsonschema, has another status and says
// so.)
TEST(MessageWebhook, TheSchemaIsStrict) {
  const auto expect_invalid = [](const json& body, const std::string& error) {
    const Validation v = validate(kSchemaPath, body.dump());
    EXPECT_EQ(v.status, Validation::kInvalid) << v.output;
    EXPECT_EQ(v.output, error + "\n");
  };
  json body = json::parse(render_webhook(full_digest()));
  body["alerts"][0]["extra"] = 1;
  expect_invalid(body,
                 "invalid at /alerts/0: additionalProperties: Additional properties are not "
                 "allowed ('extra' was unexpected)");

  body = json::parse(render_webhook(full_digest()));
  body["alerts"][1]["held_back"][0]["severity"] = "disaster";
  expect_invalid(body,
                 "invalid at /alerts/1/held_back/0/severity: enum: 'disaster' is not one of "
                 "['none', 'info', 'warning', 'critical']");

  body = json::parse(render_webhook(full_digest()));
  body["alerts"][0].erase("value");
  expect_invalid(body, "invalid at /alerts/0: required: 'value' is a required property");

  body = json::parse(render_webhook(full_digest()));
  body["summary"]["fired"] = -1;
  expect_invalid(body, "invalid at /summary/fired: minimum: -1 is less than the minimum of 0");
}

// The checker itself: a schema that is not one is told apart from an instance that breaks
// a good schema.
TEST(MessageWebhook, TheSchemaCheckerTellsABrokenSchemaFromAnInvalidBody) {
  TempDir dir;
  json schema = json::parse(read_text(kSchemaPath));
  schema["properties"]["run_id"]["minimum"] = "zero";
  write_text(dir.path() + "/broken.json", schema.dump());
  const Validation v = validate(dir.path() + "/broken.json", render_webhook(full_digest()));
  EXPECT_EQ(v.status, Validation::kBrokenSchema) << v.output;
  EXPECT_EQ(v.output.rfind("the schema is not valid: 'zero' is not of type 'number'", 0), 0u)
      << v.output;
}

TEST(MessageWebhook, TheDocumentedExampleValidates) {
  const std::string example = read_text(kSourceDir + "/docs/webhook-example.json");
  ASSERT_FALSE(example.empty());
  const Validation v = validate(kSchemaPath, example);
  EXPECT_EQ(v.status, 0) << v.output;
  EXPECT_EQ(json::parse(example)["schema"], "tiendo.alerts/v1");
}

// A byte that is not UTF-8 (a rule file or a data source may hold one) becomes U+FFFD in
// every JSON form; the text around it and everything else in the message stay as they were.
TEST(MessageWebhook, MalformedUtf8IsReplacedAndNothingElseChanges) {
  Digest d = full_digest();
  d.items[0].alert.message = {"bad \xC3\x28 byte", ""};
  const std::string replaced = "bad \uFFFD( byte";

  const json native = json::parse(render_webhook(d));
  json expected = json::parse(render_webhook(full_digest()));
  expected["alerts"][0]["message"] = replaced;
  EXPECT_EQ(native, expected);

  const json webhook = json::parse(render_alertmanager_webhook(d, "2022-10-01T01:00:00Z"));
  expected = json::parse(render_alertmanager_webhook(full_digest(), "2022-10-01T01:00:00Z"));
  ASSERT_EQ(webhook["alerts"].size(), 9u);
  EXPECT_EQ(webhook["alerts"][0]["annotations"]["message"], replaced);
  expected["alerts"][0]["annotations"]["message"] = replaced;
  EXPECT_EQ(webhook, expected);

  const json pushed = json::parse(render_alertmanager_push(d, "2022-10-01T01:00:00Z"));
  expected = json::parse(render_alertmanager_push(full_digest(), "2022-10-01T01:00:00Z"));
  ASSERT_EQ(pushed.size(), 9u);
  EXPECT_EQ(pushed[0]["annotations"]["message"], replaced);
  expected[0]["annotations"]["message"] = replaced;
  EXPECT_EQ(pushed, expected);
}

// ---------------------------------------------------------------------------------------
// Alertmanager

std::set<std::string> keys(const json& object) {
  std::set<std::string> out;
  for (const auto& [key, value] : object.items()) out.insert(key);
  return out;
}

const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");

TEST(MessageAlertmanager, TheWebhookPayloadHasExactlyTheVersion4Keys) {
  const json body = json::parse(render_alertmanager_webhook(full_digest(), "2022-10-01T01:02:03Z"));
  EXPECT_EQ(keys(body), (std::set<std::string>{"version", "groupKey", "truncatedAlerts", "status",
                                               "receiver", "groupLabels", "commonLabels",
                                               "commonAnnotations", "externalURL", "alerts"}));
  EXPECT_EQ(body["version"], "4");
  EXPECT_EQ(body["truncatedAlerts"], 0);
  EXPECT_EQ(body["receiver"], "steering_committee");
  EXPECT_TRUE(body["groupKey"].is_string());
  EXPECT_TRUE(body["groupLabels"].is_object());
  EXPECT_TRUE(body["externalURL"].is_string());
  EXPECT_EQ(body["status"], "firing");
  // Seven items, two of them holding nothing back but one holding two: nine alerts.
  ASSERT_EQ(body["alerts"].size(), 9u);
  for (const json& alert : body["alerts"]) {
    EXPECT_EQ(keys(alert), (std::set<std::string>{"status", "labels", "annotations", "startsAt",
                                                  "endsAt", "generatorURL", "fingerprint"}));
    for (const auto& [name, value] : alert["labels"].items()) {
      EXPECT_TRUE(std::regex_match(name, kLabelName)) << name;
      EXPECT_TRUE(value.is_string());
    }
    for (const auto& [name, value] : alert["annotations"].items()) EXPECT_TRUE(value.is_string());
    if (alert["status"] == "firing") {
      EXPECT_EQ(alert["endsAt"], "0001-01-01T00:00:00Z");
    } else {
      EXPECT_EQ(alert["status"], "resolved");
      EXPECT_EQ(alert["endsAt"], "2022-10-01T01:02:03Z");
    }
  }
  const json& online = body["alerts"][0];
  EXPECT_EQ(online["fingerprint"], fingerprint(Subject::rule, "online_dossier_2022", "dong_nai"));
  EXPECT_EQ(online["startsAt"], "2022-09-01T00:00:00Z");
  // Labels common to every alert (the owner differs between rules and tasks); every
  // alert of this digest is declared critical.
  EXPECT_EQ(body["commonLabels"], json({{"severity", "critical"}}));
  expect_no_missing_figure_words(body.dump());
}

TEST(MessageAlertmanager, TheStatusIsResolvedOnlyWhenEveryAlertIs) {
  Digest d;
  d.channel = "hook";
  d.at = day(2022, 10, 1);
  d.items.push_back(notification(NotifyKind::resolved,
                                 rule_facts("a", "A", "u", "U", "met", Severity::none),
                                 day(2022, 9, 1)));
  d.items.push_back(notification(
      NotifyKind::resolved, rule_facts("b", "B", "u", "U", "ok", Severity::none), day(2022, 9, 2)));
  d.resolved = 2;
  json body = json::parse(render_alertmanager_webhook(d, "2022-10-01T01:00:00Z"));
  EXPECT_EQ(body["status"], "resolved");
  EXPECT_EQ(body["commonLabels"]["unit"], "u");
  EXPECT_EQ(body["commonLabels"]["subject"], "rule");
  EXPECT_FALSE(body["commonLabels"].contains("alertname"));

  // One firing alert, even one held back under a resolved-looking task, makes it firing.
  Notification task = notification(NotifyKind::resolved,
                                   task_facts("t", "T", "done", Severity::none), day(2022, 9, 1));
  task.held_back.push_back(
      notification(NotifyKind::repeated,
                   rule_facts("c", "C", "u", "U", "blocked", Severity::warning), day(2022, 9, 1)));
  d.items.push_back(task);
  body = json::parse(render_alertmanager_webhook(d, "2022-10-01T01:00:00Z"));
  EXPECT_EQ(body["status"], "firing");

  d.items.back().held_back.clear();
  d.items.push_back(notification(NotifyKind::changed,
                                 rule_facts("e", "E", "u", "U", "missed", Severity::critical),
                                 day(2022, 9, 1)));
  body = json::parse(render_alertmanager_webhook(d, "2022-10-01T01:00:00Z"));
  EXPECT_EQ(body["status"], "firing");
}

TEST(MessageAlertmanager, LabelsAndAnnotationsSayWhatTheAlertIs) {
  const json body = json::parse(render_alertmanager_webhook(full_digest(), "2022-10-01T01:02:03Z"));
  const json& labels = body["alerts"][0]["labels"];
  EXPECT_EQ(labels["alertname"], "online_dossier_2022");
  EXPECT_EQ(labels["unit"], "dong_nai");
  // Only what stays the same while the alert lives is a label: the declared severity;
  // the current state and severity are annotations, so that Alertmanager keeps one alert.
  EXPECT_EQ(labels["severity"], "critical");
  EXPECT_FALSE(labels.contains("state"));
  EXPECT_EQ(labels["subject"], "rule");
  EXPECT_EQ(labels["owner"], "Sở Thông tin và Truyền thông");
  // Invalid label names are repaired rather than dropped.
  EXPECT_EQ(labels["nh__m"], "Chính quyền số");
  EXPECT_EQ(labels["_022_target"], "yes");

  const json& notes = body["alerts"][0]["annotations"];
  EXPECT_EQ(notes["state"], "at_risk");
  EXPECT_EQ(notes["current_severity"], "critical");
  EXPECT_EQ(notes["summary"], "Tỷ lệ hồ sơ trực tuyến toàn trình");
  // The channel speaks Vietnamese (the default): so does the description.
  EXPECT_EQ(notes["description"], "77,62% hiện nay, yêu cầu ≥ 80% hạn 31/12/2022; dự báo 78,1%");
  EXPECT_EQ(notes["message"], "Đồng Nai mới đạt 77,62%, cần 80% trước 31/12/2022");
  EXPECT_EQ(notes["source"], "rules/dong-nai-2022.rules:29");
  EXPECT_EQ(notes["plan_code"], "177/KH-UBND");
  EXPECT_EQ(notes["value"], "77,62%");
  EXPECT_EQ(notes["target"], "80%");
  EXPECT_EQ(notes["deadline"], "31/12/2022");
  EXPECT_EQ(notes["projected"], "78,1%");
  EXPECT_FALSE(notes.contains("chain"));

  // The task has no unit label; the reminder without figures has no figure annotations.
  const json& task = body["alerts"][1];
  EXPECT_EQ(task["labels"]["alertname"], "kho");
  EXPECT_EQ(task["labels"]["subject"], "task");
  EXPECT_FALSE(task["labels"].contains("unit"));
  const json& nodata = body["alerts"][6]["annotations"];
  EXPECT_EQ(body["alerts"][6]["labels"]["alertname"], "dvc_reports");
  for (const char* figure : {"value", "target", "deadline", "projected", "message"}) {
    EXPECT_FALSE(nodata.contains(figure)) << figure;
  }
  // No since date: the digest's date at midnight.
  EXPECT_EQ(body["alerts"][6]["startsAt"], "2022-09-30T00:00:00Z");
}

TEST(MessageAlertmanager, HeldBackAlertsAreAlertsOfTheirOwnNamingTheRootCause) {
  const Digest d = full_digest();
  for (const json& alerts :
       {json::parse(render_alertmanager_webhook(d, "2022-10-01T01:00:00Z"))["alerts"],
        json::parse(render_alertmanager_push(d, "2022-10-01T01:00:00Z"))}) {
    ASSERT_EQ(alerts.size(), 9u);
    EXPECT_EQ(alerts[1]["labels"]["alertname"], "kho");
    EXPECT_FALSE(alerts[1]["annotations"].contains("root_cause"));
    for (int i : {2, 3}) {
      const json& held = alerts[i];
      EXPECT_EQ(held["annotations"]["state"], "blocked");
      EXPECT_EQ(held["annotations"]["root_cause"], "kho");
      EXPECT_EQ(held["annotations"]["chain"], "cong ← kho");
    }
    EXPECT_EQ(alerts[2]["labels"]["alertname"], "open_data");
    EXPECT_EQ(alerts[3]["labels"]["alertname"], "shared_data");
    EXPECT_EQ(alerts[4]["labels"]["alertname"], "vneid_accounts");
  }
}

TEST(MessageAlertmanager, PushedAlertsEndIn48HoursWhenFiringAndNowWhenResolved) {
  const json body = json::parse(render_alertmanager_push(full_digest(), "2022-12-31T23:30:05Z"));
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 9u);
  int firing = 0, resolved = 0;
  for (const json& alert : body) {
    EXPECT_EQ(keys(alert), (std::set<std::string>{"labels", "annotations", "startsAt", "endsAt",
                                                  "generatorURL"}));
    for (const auto& [name, value] : alert["labels"].items()) {
      EXPECT_TRUE(std::regex_match(name, kLabelName)) << name;
      EXPECT_FALSE(value.get<std::string>().empty()) << name;
    }
    const std::string name = alert["labels"]["alertname"];
    if (name == "broadband" || name == "cong") {
      EXPECT_EQ(alert["endsAt"], "2022-12-31T23:30:05Z") << name;
      ++resolved;
    } else {
      EXPECT_EQ(alert["endsAt"], "2023-01-02T23:30:05Z") << name;
      ++firing;
    }
  }
  EXPECT_EQ(firing, 7);
  EXPECT_EQ(resolved, 2);
  EXPECT_EQ(body[0]["startsAt"], "2022-09-01T00:00:00Z");
  EXPECT_EQ(body[2]["startsAt"], "2022-09-30T00:00:00Z");

  // Across February of a leap year.
  const json leap = json::parse(render_alertmanager_push(full_digest(), "2024-02-28T10:00:00Z"));
  EXPECT_EQ(leap[0]["endsAt"], "2024-03-01T10:00:00Z");
}

TEST(MessageAlertmanager, AMalformedNowFallsBackToTheDigestDate) {
  for (const char* bad :
       {"", "2022-10-01", "2022-10-01 01:00:00", "2022-13-01T00:00:00Z", "2022-02-30T00:00:00Z",
        "2022-10-01T24:00:00Z", "2022-10-01T01:00:00+07"}) {
    const json body = json::parse(render_alertmanager_push(full_digest(), bad));
    EXPECT_EQ(body[0]["endsAt"], "2022-10-02T00:00:00Z") << bad;
    EXPECT_EQ(body[8]["endsAt"], "2022-09-30T00:00:00Z") << bad;
  }
}

// ---------------------------------------------------------------------------------------
// docs/webhook.md

// The fenced blocks of a Markdown file whose info string is `language`, in order.
std::vector<std::string> fenced_blocks(const std::string& markdown, const std::string& language) {
  std::vector<std::string> blocks;
  const std::string open = "```" + language + "\n";
  for (std::size_t at = markdown.find(open); at != std::string::npos;
       at = markdown.find(open, at + 1)) {
    const std::size_t begin = at + open.size();
    const std::size_t end = markdown.find("\n```\n", begin - 1);
    if (end == std::string::npos) break;
    blocks.push_back(markdown.substr(begin, end + 1 - begin));
  }
  return blocks;
}

TEST(MessageWebhookDoc, TheJsonExamplesParseAndTheNativeOneValidates) {
  const std::vector<std::string> blocks =
      fenced_blocks(read_text(kSourceDir + "/docs/webhook.md"), "json");
  ASSERT_EQ(blocks.size(), 2u);
  for (const std::string& block : blocks) {
    EXPECT_NO_THROW((void)json::parse(block).is_object()) << block;
  }
  const Validation v = validate(kSchemaPath, blocks[0]);
  EXPECT_EQ(v.status, 0) << v.output;
  const json am = json::parse(blocks[1]);
  EXPECT_EQ(keys(am), keys(json::parse(render_alertmanager_webhook(full_digest(), ""))));
}

TEST(MessageWebhookDoc, TheReceiverExampleVerifiesWhatTiendoSigns) {
  const std::vector<std::string> python =
      fenced_blocks(read_text(kSourceDir + "/docs/webhook.md"), "python");
  ASSERT_EQ(python.size(), 1u);
  const std::string secret_text =
      "whsec_" + notify::base64_encode("a 32-byte key for the webhook.");
  const auto secret = notify::parse_webhook_secret(secret_text, nullptr);
  ASSERT_TRUE(secret);
  const std::string body = render_webhook(full_digest());
  const std::string id = "tiendo-run42-steering_committee";
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const auto headers = [&](std::int64_t timestamp, const std::string& signature) {
    return json{{"webhook-id", id},
                {"webhook-timestamp", std::to_string(timestamp)},
                {"webhook-signature", signature}};
  };
  const json cases = json::array({
      headers(now, notify::sign_webhook(*secret, id, now, body)),
      // Rotating secrets: several entries, one of them right.
      headers(now, "v1,AAAA v1," + notify::sign_webhook(*secret, id, now, body).substr(3)),
      headers(now - 240, notify::sign_webhook(*secret, id, now - 240, body)),
      headers(now - 600, notify::sign_webhook(*secret, id, now - 600, body)),
      headers(now, notify::sign_webhook(*secret, id, now, body + " ")),
      headers(now, notify::sign_webhook(*secret, "another-id", now, body)),
  });

  TempDir dir;
  write_text(dir.path() + "/receiver.py",
             python[0] +
                 "\nimport json, sys\n"
                 "cases = json.load(open(sys.argv[1], encoding='utf-8'))\n"
                 "body = open(sys.argv[2], 'rb').read()\n"
                 "print(' '.join(str(verify(sys.argv[3], h, body)) for h in cases))\n");
  write_text(dir.path() + "/cases.json", cases.dump());
  write_text(dir.path() + "/body.json", body);
  const std::string command =
      "/usr/bin/python3 " + shell_quote(dir.path() + "/receiver.py") + " " +
      shell_quote(dir.path() + "/cases.json") + " " + shell_quote(dir.path() + "/body.json") + " " +
      shell_quote(secret_text) + " >" + shell_quote(dir.path() + "/out.txt") + " 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << read_text(dir.path() + "/out.txt");
  EXPECT_EQ(read_text(dir.path() + "/out.txt"), "True True True False False False\n");
}

// ---------------------------------------------------------------------------------------
// One language per reader (issue #16): a channel's `language` decides every word.

// Every kind of item with every part a message can have, its data (titles, names,
// documents) in plain ASCII so that any Vietnamese or English word in the output is the
// message's own.
Digest every_part_digest(model::Language language) {
  Digest d;
  d.channel = "committee";
  d.language = language;
  d.run_id = 7;
  d.at = day(2022, 10, 15);
  const auto facts = [](const std::string& name, const std::string& state, Severity severity) {
    AlertFacts a = rule_facts(name, "Dossier share " + name, "dn", "Dong Nai", state, severity);
    a.owner = "STTTT";
    a.percent = true;
    a.value = 0.35;
    a.target = 0.5;
    a.deadline = day(2022, 12, 31);
    a.projected = 0.4;
    a.rate_needed = 0.05;
    a.rate_observed = 0.01;
    a.units = {"2/3 đơn vị; chưa đạt: Xa A", "2/3 units; failing: Xa A"};
    a.basis = {"Kế hoạch 177/KH-UBND ngày 05/8/2022", "Plan 177/KH-UBND of 2022-08-05"};
    a.target_change = {"50% → 30% từ 15/10/2022 theo 2345/QD-UBND",
                       "50% → 30% from 2022-10-15 under 2345/QD-UBND"};
    a.message = {"Ho so 35%", "Dossiers 35%"};
    a.reason = {"35% hiện nay, yêu cầu ≥ 50% hạn 31/12/2022; dự báo 40%",
                "35% now, >= 50% by 2022-12-31; projected 40%"};
    a.plan = "kh177";
    a.plan_code = "177/KH-UBND";
    a.plan_title = "KH 177";
    a.note = "STTTT 12/10";
    return a;
  };
  d.items.push_back(
      notification(NotifyKind::fired, facts("a", "at_risk", Severity::critical), day(2022, 10, 1)));
  d.items.push_back(
      notification(NotifyKind::changed, facts("b", "missed", Severity::critical), day(2022, 9, 1)));
  AlertFacts band = facts("c", "violated", Severity::warning);
  band.upper = 0.7;
  d.items.push_back(notification(NotifyKind::repeated, band, day(2022, 8, 1)));
  // A task shown for the rule alerts it holds back.
  AlertFacts warehouse = task_facts("kho", "Data warehouse", "overdue", Severity::critical);
  warehouse.owner = "SKHDT";
  warehouse.deadline = day(2022, 9, 30);
  warehouse.earliest_finish = day(2023, 1, 31);
  warehouse.chain = {"kho", "ha_tang"};
  warehouse.reason = {"hạn 30/9/2022, chưa hoàn thành", "due 2022-09-30, not done"};
  warehouse.labels.clear();
  Notification holder = notification(NotifyKind::fired, warehouse, day(2022, 10, 1));
  holder.context = true;
  holder.held_back.push_back(
      notification(NotifyKind::fired, facts("d", "blocked", Severity::warning), day(2022, 10, 1)));
  d.items.push_back(holder);
  Notification quiet =
      notification(NotifyKind::resolved, facts("e", "met", Severity::none), day(2022, 7, 1));
  quiet.silenced = true;
  d.items.push_back(quiet);
  d.fired = 2;
  d.changed = 1;
  d.repeated = 1;
  d.resolved = 1;
  return d;
}

// Every text a digest becomes for people: the e-mail's subject and plain text (and its
// HTML, `with_html`), and the texts of the native body and of the Alertmanager forms'
// annotations (not their identifiers: states, kinds, names, which are the same in every
// language), the reason (`reason`, the `description` annotation) included.
std::vector<std::string> rendered_texts(const Digest& d, bool with_html) {
  std::vector<std::string> out;
  const EmailContent email = render_email(d);
  out.push_back(email.subject);
  out.push_back(email.text);
  if (with_html) out.push_back(email.html);
  std::function<void(const json&)> alert_texts = [&](const json& alert) {
    for (const char* key : {"units", "basis", "target_change", "message", "reason"}) {
      out.push_back(alert[key].get<std::string>());
    }
    for (const json& held : alert["held_back"]) alert_texts(held);
  };
  // Each parsed body is kept while its alerts are read (a loop over a member of a
  // temporary would read freed memory).
  const json native = json::parse(render_webhook(d));
  for (const json& alert : native["alerts"]) alert_texts(alert);
  const auto annotation_texts = [&](const json& annotations) {
    for (const char* key : {"units", "basis", "target_change", "message", "value", "target",
                            "deadline", "projected", "description"}) {
      if (annotations.contains(key)) out.push_back(annotations[key].get<std::string>());
    }
  };
  const json alertmanager = json::parse(render_alertmanager_webhook(d, "2022-10-15T01:00:00Z"));
  for (const json& alert : alertmanager["alerts"]) annotation_texts(alert["annotations"]);
  for (const json& alert : json::parse(render_alertmanager_push(d, "2022-10-15T01:00:00Z"))) {
    annotation_texts(alert["annotations"]);
  }
  return out;
}

TEST(MessageLanguage, AnEnglishChannelGetsNoVietnameseWord) {
  for (const std::string& text : rendered_texts(every_part_digest(model::Language::en), true)) {
    EXPECT_FALSE(has_vietnamese_letter(text)) << text;
  }
  const EmailContent email = render_email(every_part_digest(model::Language::en));
  EXPECT_EQ(email.subject,
            "[tiendo] CRITICAL – 2022-10-15: 2 new alerts, 1 changed, 1 reminder, "
            "1 resolved");
  EXPECT_NE(email.text.find("Value: 35%; target: 50%; deadline: 2022-12-31; projected: 40%"),
            std::string::npos)
      << email.text;
  EXPECT_NE(email.text.find("Target amended: 50% → 30% from 2022-10-15 under 2345/QD-UBND"),
            std::string::npos)
      << email.text;
  EXPECT_NE(email.text.find("Alerts held back by this task (1):"), std::string::npos);
  EXPECT_NE(email.html.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_EQ(json::parse(render_webhook(every_part_digest(model::Language::en)))["language"], "en");
}

TEST(MessageLanguage, AVietnameseChannelGetsNoEnglishWord) {
  // The English words of the other rendering, and every English state and severity label.
  std::set<std::string> english = {
      "new",       "changed", "reminder", "resolved", "value",    "target",   "deadline",
      "projected", "rate",    "units",    "basis",    "details",  "owner",    "source",
      "since",     "channel", "run",      "task",     "kind",     "severity", "state",
      "amended",   "alerts",  "held",     "silenced", "earliest", "finish",   "began",
      "from",      "under",   "most",     "nothing",  "plan",     "note",     "critical",
      "warning",   "risk",    "missed",   "violated", "blocked",  "overdue",  "met"};
  for (const std::string& text : rendered_texts(every_part_digest(model::Language::vi), false)) {
    for (const std::string& word : ascii_words(text)) {
      EXPECT_FALSE(english.contains(word)) << word << " in: " << text;
    }
  }
  EXPECT_EQ(json::parse(render_webhook(every_part_digest(model::Language::vi)))["language"], "vi");
}

}  // namespace
}  // namespace tiendo::alert
