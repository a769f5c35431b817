// The report as an administrative document (committee_document.cpp): the heading's
// defaults from the data and from what the person issuing it says, and the HTML that
// Chromium prints and pandoc reads — the heading, the title, the tables of the HTML report
// and the signature, everything escaped, nothing fetched. The end-to-end tests
// (e2e/cli_report_document_test.cpp) open the PDF and the DOCX made from it.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "present/format.hpp"
#include "report/committee.hpp"
#include "support/example_data.hpp"

namespace tiendo::report {
namespace {

model::Date day(std::string_view text) {
  std::string error;
  const auto period = model::parse_period(text, error);
  EXPECT_TRUE(period.has_value()) << text << ": " << error;
  return period ? period->last : model::Date{};
}

store::Snapshot units_only(std::vector<std::pair<std::string, std::string>> units) {
  store::Snapshot snapshot;
  for (auto& [id, name] : units) {
    store::SnapshotUnit unit;
    unit.id = id;
    unit.name = name;
    snapshot.add_unit(std::move(unit));
  }
  if (snapshot.units().size() > 1) snapshot.set_parent(1, 0);
  snapshot.finish(0);
  return snapshot;
}

class CommitteeDocument : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    example_ = testing::evaluate_example("2022-09-30", error);
    ASSERT_TRUE(example_) << error;
  }
  std::string page(const DocumentOptions& options) const {
    const DocumentForm form = document_form(options, example_->snapshot, example_->results.at);
    return document_html(example_->rules, example_->snapshot, example_->results, form);
  }

  std::unique_ptr<testing::ExampleEvaluation> example_;
};

TEST_F(CommitteeDocument, WithoutOptionsTheProvincesCommitteeIssuesIt) {
  const DocumentForm form = document_form({}, example_->snapshot, day("2022-09-30"));
  EXPECT_EQ(form.issuer, "UBND TỈNH ĐỒNG NAI");
  EXPECT_EQ(form.parent_body, "");
  EXPECT_EQ(form.number, "/BC-UBND");
  EXPECT_EQ(form.place, "Đồng Nai");
  EXPECT_EQ(form.issued_on, day("2022-09-30"));
  EXPECT_EQ(form.subject, "Tiến độ thực hiện mục tiêu, chỉ tiêu đến ngày 30/9/2022");
  EXPECT_EQ(form.sign_as, (std::vector<std::string>{"TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"}));
  EXPECT_EQ(form.signer, "");
  EXPECT_EQ(form.recipients, std::vector<std::string>{"Lưu: VT"});
}

TEST_F(CommitteeDocument, AnIssuerOfItsOwnStandsUnderTheCommitteeInUpperCase) {
  DocumentOptions options;
  options.issuer = "Ban Chỉ đạo chuyển đổi số";
  options.sign_as = {"TM. Ban Chỉ đạo", "Trưởng ban"};
  options.signer = "Nguyễn Văn A";
  options.number = "123/BC-BCĐ";
  options.issued_on = day("2026-12-05");
  options.recipients = {"UBND tỉnh (b/c)", "Lưu: VT, STTTT"};
  const DocumentForm form = document_form(options, example_->snapshot, day("2022-09-30"));
  EXPECT_EQ(form.issuer, "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ");
  EXPECT_EQ(form.parent_body, "UBND TỈNH ĐỒNG NAI");
  EXPECT_EQ(form.number, "123/BC-BCĐ");
  EXPECT_EQ(form.sign_as, (std::vector<std::string>{"TM. BAN CHỈ ĐẠO", "TRƯỞNG BAN"}));
  EXPECT_EQ(form.signer, "Nguyễn Văn A");  // a name keeps its case
  EXPECT_EQ(form.issued_on, day("2026-12-05"));
  EXPECT_EQ(form.subject, "Tiến độ thực hiện mục tiêu, chỉ tiêu đến ngày 30/9/2022");

  options.parent_body = "";
  options.sign_as.clear();
  const DocumentForm bare = document_form(options, example_->snapshot, day("2022-09-30"));
  EXPECT_EQ(bare.parent_body, "");
  EXPECT_TRUE(bare.sign_as.empty());  // an issuer of its own says how it signs

  options.issuer.reset();
  options.number.reset();
  EXPECT_EQ(document_form(options, example_->snapshot, day("2022-09-30")).number, "/BC-UBND");
  options.issuer = "Sở Thông tin và Truyền thông";
  EXPECT_EQ(document_form(options, example_->snapshot, day("2022-09-30")).number, "/BC");
}

TEST(CommitteeDocumentPlace, TheRootUnitNamesThePlace) {
  const model::Date at = day("2026-12-05");
  EXPECT_EQ(
      document_form({}, units_only({{"hcm", "Thành phố Hồ Chí Minh"}, {"q1", "Quận 1"}}), at).place,
      "Thành phố Hồ Chí Minh");
  EXPECT_EQ(document_form({}, units_only({{"hcm", "Thành phố Hồ Chí Minh"}}), at).issuer,
            "UBND THÀNH PHỐ HỒ CHÍ MINH");
  // A unit without a name is called by its id.
  const DocumentForm by_id = document_form({}, units_only({{"dong_nai", ""}}), at);
  EXPECT_EQ(by_id.place, "dong_nai");
  EXPECT_EQ(by_id.issuer, "UBND DONG_NAI");
  const DocumentForm none = document_form({}, units_only({}), at);
  EXPECT_EQ(none.place, "");
  EXPECT_EQ(none.issuer, "");
  DocumentOptions options;
  options.place = "Biên Hòa";
  EXPECT_EQ(document_form(options, units_only({{"dong_nai", "Tỉnh Đồng Nai"}}), at).place,
            "Biên Hòa");
}

TEST_F(CommitteeDocument, HasTheHeadingTitleTablesAndSignature) {
  DocumentOptions options;
  options.issuer = "Ban Chỉ đạo chuyển đổi số";
  options.number = "123/BC-BCĐ";
  options.issued_on = day("2026-12-05");
  options.sign_as = {"TM. Ban Chỉ đạo", "Trưởng ban"};
  options.signer = "Nguyễn Văn A";
  options.recipients = {"UBND tỉnh (b/c)", "Lưu: VT, STTTT"};
  const std::string html = page(options);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                      "'none'; style-src 'unsafe-inline'\">"),
            std::string::npos);
  EXPECT_NE(html.find("@page { size: A4; margin: 20mm 15mm 20mm 30mm;"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"issuer\" style=\"text-align:center\">UBND TỈNH ĐỒNG NAI<br>"
                      "<b>BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ</b>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><b class=\"slogan\"><u>Độc "
                      "lập - Tự do - Hạnh phúc</u></b>"),
            std::string::npos);
  EXPECT_NE(html.find(">Số: 123/BC-BCĐ</td>"), std::string::npos);
  EXPECT_NE(html.find("<i>Đồng Nai, ngày 05 tháng 12 năm 2026</i>"), std::string::npos);
  EXPECT_NE(html.find("<h1>BÁO CÁO<br>Tiến độ thực hiện mục tiêu, chỉ tiêu đến ngày "
                      "30/9/2022</h1>"),
            std::string::npos);
  // The tables of the HTML report, the state in words and without bars.
  EXPECT_NE(html.find("<h2>I. Tình hình thực hiện các mục tiêu, chỉ tiêu</h2>"), std::string::npos);
  EXPECT_NE(html.find("<th>Kết quả</th>"), std::string::npos);
  EXPECT_NE(html.find("Tỷ lệ dân số có điện thoại thông minh đạt 85%"), std::string::npos);
  EXPECT_NE(html.find("<strong>Đúng tiến độ</strong>"), std::string::npos);
  EXPECT_NE(html.find("<col style=\"width:38%\">"), std::string::npos);
  EXPECT_NE(html.find("<td colspan=\"4\"><b>Phát triển hạ tầng số</b></td>"), std::string::npos);
  EXPECT_NE(html.find("<h2>II. Nhiệm vụ quá hạn"), std::string::npos);
  EXPECT_NE(html.find("<td>Xây dựng Cổng dữ liệu mở</td>"), std::string::npos);
  EXPECT_EQ(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("class=\"badge"), std::string::npos);
  // The recipients, each ending ";" and the last ".", and the signature block.
  EXPECT_NE(html.find("<b class=\"label\"><i>Nơi nhận:</i></b><br>- UBND tỉnh (b/c);<br>- Lưu: "
                      "VT, STTTT.</p>"),
            std::string::npos);
  EXPECT_NE(html.find("<p><b>TM. BAN CHỈ ĐẠO<br>TRƯỞNG BAN</b></p><p class=\"space\">"),
            std::string::npos);
  EXPECT_NE(html.find("<p><b>Nguyễn Văn A</b></p>"), std::string::npos);
  // Nothing from elsewhere.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST_F(CommitteeDocument, LeavesTheNumberBlankForTheOfficeAndEscapesWhatItIsGiven) {
  DocumentOptions options;
  options.issuer = "Sở <Thông tin> & \"Truyền thông\"";
  options.signer = "<script>alert(1)</script>";
  options.recipients = {"A & B"};
  const std::string html = page(options);
  EXPECT_NE(html.find(">Số: \u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/BC</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<b>SỞ &lt;THÔNG TIN&gt; &amp; &quot;TRUYỀN THÔNG&quot;</b>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("- A &amp; B.</p>"), std::string::npos);
  // Without --sign-as an issuer of its own leaves only the room for the signature.
  EXPECT_NE(html.find("<td class=\"signature\" style=\"text-align:center\"><p "
                      "class=\"space\">"),
            std::string::npos);
}

}  // namespace
}  // namespace tiendo::report
