// The editor's own style, on top of the page's (cards for sections, tables, badges,
// focus outlines): a <style> element, which the pages' Content-Security-Policy allows
// ('unsafe-inline' styles). Everything is scoped to #rule-editor and re- classes, so
// CodeMirror's own panels and buttons keep their look.
import { EditorView } from "@codemirror/view";

// Monospace fonts that have Vietnamese letters (ế, ộ, ...) precomposed, first: DejaVu Sans
// Mono lacks them and draws "tê´" for "tế".
const MONO = 'ui-monospace, "Cascadia Mono", Consolas, "Liberation Mono", Menlo, "Noto Sans Mono", "DejaVu Sans Mono", monospace';

const CSS = `
#rule-editor [hidden] { display: none !important; }
#rule-editor { min-width: 0; }
#rule-editor .re-row { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end;
  margin: 8px 0; }
#rule-editor .re-field { display: flex; flex-direction: column; gap: 2px; min-width: 0;
  max-width: 100%; font-size: 13.5px; }
#rule-editor .re-field.grow { flex: 1 1 280px; }
#rule-editor .re-input { font: inherit; font-size: 14px; padding: 4px 6px; min-height: 34px;
  border: 1px solid #8a939e; border-radius: 4px; background: #fff; color: #1b1f24;
  max-width: 100%; min-width: 0; }
#rule-editor select.re-input { max-width: 100%; }
#rule-editor .re-input[aria-invalid="true"] { border-color: #b3261e; }
#rule-editor .re-btn { font: inherit; font-size: 14px; padding: 5px 14px; min-height: 34px;
  border-radius: 4px; border: 1px solid #1f4e79; background: #1f4e79; color: #fff;
  cursor: pointer; }
#rule-editor .re-btn.secondary { background: #fff; color: #1f4e79; }
#rule-editor .re-btn.danger { background: #b3261e; border-color: #b3261e; color: #fff; }
#rule-editor .re-btn:disabled { background: #eceef1; border-color: #b6bcc4; color: #5f6670;
  cursor: not-allowed; }
#rule-editor .re-btn.small { font-size: 13px; padding: 2px 10px; min-height: 28px; }
#rule-editor .re-link { font: inherit; background: none; border: none; padding: 0;
  color: #1f4e79; text-decoration: underline; cursor: pointer; }
#rule-editor .re-status { min-height: 1.45em; margin: 6px 0; overflow-wrap: anywhere; }
#rule-editor .re-status:empty { min-height: 0; margin: 0; }
#rule-editor .re-bad { color: #b3261e; }
#rule-editor .re-good { color: #1e7b34; }
#rule-editor .re-editor { margin: 8px 0; min-width: 0; }
#rule-editor .re-list { list-style: none; padding: 0; margin: 6px 0 0; font-size: 13.5px; }
#rule-editor .re-list li { margin: 3px 0; overflow-wrap: anywhere; }
#rule-editor .re-list ul { margin: 2px 0 4px; padding-left: 20px; }
#rule-editor .re-code { color: #5f6670; font-size: 12.5px; }
#rule-editor .re-diff { font: 12.5px/1.4 ${MONO};
  border: 1px solid #d5dae1; border-radius: 4px; padding: 6px 0; margin: 6px 0;
  overflow: auto; max-height: 70vh; white-space: pre; background: #fff; }
#rule-editor .re-diff > span { display: block; padding: 0 8px; min-height: 1.4em; }
#rule-editor .re-diff .add { background: #e3f3e7; color: #116329; }
#rule-editor .re-diff .del { background: #fbe3e1; color: #a31515; }
#rule-editor .re-diff .hunk { background: #eef1f5; color: #0550ae; }
#rule-editor .re-diff .file { font-weight: 600; }
#rule-editor .re-confirm { display: flex; flex-wrap: wrap; gap: 6px; align-items: center;
  margin: 4px 0 0; font-size: 13px; }
#rule-editor .re-actions { display: flex; flex-wrap: wrap; gap: 6px; }
#rule-editor .re-sr { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
#rule-editor td.re-version { white-space: nowrap; }
#rule-editor td .badge + .badge, #rule-editor td .badge { margin-right: 4px; }
@media (max-width: 640px) {
  #rule-editor .re-row > .re-btn { flex: 1 1 auto; }
  #rule-editor .re-field.grow { flex-basis: 100%; }
  /* Tables as cards: each cell on its own line, named by its column. */
  #rule-editor table.re-cards thead { display: none; }
  #rule-editor table.re-cards, #rule-editor table.re-cards > tbody,
  #rule-editor table.re-cards > tbody > tr, #rule-editor table.re-cards > tbody > tr > td {
    display: block; width: 100%; }
  #rule-editor table.re-cards > tbody > tr { border-bottom: 2px solid #d5dae1; padding: 6px 0; }
  #rule-editor table.re-cards > tbody > tr > td { border: none; padding: 2px; white-space: normal; }
  #rule-editor table.re-cards td[data-label]::before { content: attr(data-label) ": ";
    color: #5f6670; font-size: 12.5px; }
}
`;

export function addStyle() {
  if (document.getElementById("rule-editor-style")) return;
  const style = document.createElement("style");
  style.id = "rule-editor-style";
  style.textContent = CSS;
  document.head.append(style);
}

// CodeMirror's look: a bordered box at least 420 px high, monospace, the page's focus
// outline, gutters and the active line in colours that keep text readable.
export const editorTheme = EditorView.theme({
  "&": {
    fontSize: "13.5px",
    color: "#1b1f24",
    backgroundColor: "#fff",
    border: "1px solid #8a939e",
    borderRadius: "4px",
    maxHeight: "75vh",
  },
  "&.cm-focused": { outline: "3px solid #c77700", outlineOffset: "2px" },
  ".cm-scroller": {
    fontFamily: MONO,
    lineHeight: "1.45",
    overflow: "auto",
  },
  ".cm-content, .cm-gutter": { minHeight: "420px" },
  ".cm-gutters": {
    backgroundColor: "#f5f6f8",
    color: "#5f6670",
    borderRight: "1px solid #d5dae1",
    borderRadius: "4px 0 0 4px",
  },
  ".cm-activeLineGutter": { backgroundColor: "#e2ecf6", color: "#1b1f24" },
  ".cm-activeLine": { backgroundColor: "#f3f6fa" },
  ".cm-tooltip.cm-tooltip-lint, .cm-tooltip-autocomplete": { maxWidth: "min(520px, 90vw)" },
  ".cm-diagnosticText": { whiteSpace: "pre-wrap" },
  ".cm-diagnosticSource": { opacity: "1", color: "#5f6670", fontSize: "12px" },
  ".cm-diagnosticAction": { backgroundColor: "#1f4e79" },
});
