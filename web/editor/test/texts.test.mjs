// The editor's words (src/texts.js): both languages have every key, of the same kind,
// and the Vietnamese ones are the page's words, with their diacritics (NFC).
//
//   cd web/editor && node --test test/
import { test } from "node:test";
import assert from "node:assert/strict";
import { TEXTS, texts } from "../src/texts.js";

const sample = (value) => (typeof value === "function" ? value(2, 1, 3, 4) : value);

test("Vietnamese and English have the same keys, of the same kind", () => {
  assert.deepEqual(Object.keys(TEXTS.vi).sort(), Object.keys(TEXTS.en).sort());
  for (const key of Object.keys(TEXTS.vi)) {
    assert.equal(typeof TEXTS.vi[key], typeof TEXTS.en[key], key);
    for (const lang of ["vi", "en"]) {
      const text = sample(TEXTS[lang][key]);
      assert.equal(typeof text, "string", `${lang}.${key}`);
      assert.ok(text.trim() !== "", `${lang}.${key} is empty`);
      assert.equal(text, text.normalize("NFC"), `${lang}.${key} is not NFC`);
    }
  }
});

test("the Vietnamese words of the page", () => {
  const t = texts("vi");
  assert.equal(t.tokenTitle, "Mã truy cập");
  assert.equal(t.editorTitle, "Soạn quy tắc");
  assert.equal(t.fileLabel, "Tệp");
  assert.equal(t.format, "Định dạng");
  assert.equal(t.runTests, "Chạy kiểm thử");
  assert.equal(t.previewTitle, "Xem trước");
  assert.equal(t.previewDate, "Ngày đánh giá");
  assert.equal(t.saveTitle, "Lưu phiên bản mới");
  assert.equal(t.messageLabel, "Lời nhắn");
  assert.equal(t.save, "Lưu");
  assert.equal(t.historyTitle, "Lịch sử phiên bản");
  assert.equal(t.current, "đang dùng");
  assert.equal(t.edited, "đã sửa");
  assert.equal(t.showDiff, "Xem thay đổi");
  assert.equal(t.restore, "Khôi phục phiên bản này");
  assert.equal(t.restoreConfirm, "Xác nhận khôi phục");
  assert.equal(t.counts(2, 1), "2 lỗi, 1 cảnh báo");
  assert.equal(t.counts(0, 0), "Không có lỗi");
  assert.equal(t.testsSummary(3, 1), "3 đạt, 1 không đạt");
  assert.equal(t.saved(4), "Đã lưu phiên bản 4");
  assert.equal(t.replaceWith("online_dossier_rate"), "Thay bằng ‘online_dossier_rate’");
  assert.equal(t.restoreMessage(2), "Khôi phục phiên bản 2");
  assert.equal(t.versionLine(3, "07/12/2026 10:15", "thu.nguyen"), "Phiên bản 3 · 07/12/2026 10:15 · bởi thu.nguyen");
  assert.equal(t.previewNoChanges(118), "Không có kết quả nào thay đổi (118 kết quả giữ nguyên)");
  assert.deepEqual([t.colRule, t.colUnit, t.colBefore, t.colAfter], ["Chỉ tiêu", "Đơn vị", "Trước", "Sau"]);
  assert.deepEqual(
    [t.colVersion, t.colTime, t.colAuthor, t.colMessage],
    ["Phiên bản", "Thời gian", "Người lưu", "Lời nhắn"],
  );
});

test("English plurals, and an unknown language falls back to Vietnamese", () => {
  const t = texts("en");
  assert.equal(t.counts(1, 2), "1 error, 2 warnings");
  assert.equal(t.counts(0, 0), "No errors");
  assert.equal(texts("fr"), TEXTS.vi);
});
