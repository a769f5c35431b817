// Small pure helpers (no DOM, no CodeMirror view): file names, dates, LSP positions.

// Display names for file keys: each key without the keys' longest common directory
// prefix ("/srv/tiendo/rules/a.rules", "/srv/tiendo/rules/x/b.rules" → "a.rules",
// "x/b.rules"). A single key keeps only its base name.
export function displayNames(keys) {
  const names = new Map();
  if (keys.length === 0) return names;
  const dirs = keys.map((k) => k.split("/").slice(0, -1));
  let common = dirs[0].length;
  for (const d of dirs) {
    let i = 0;
    while (i < common && i < d.length && d[i] === dirs[0][i]) i += 1;
    common = i;
  }
  for (const k of keys) {
    const name = k.split("/").slice(common).join("/");
    names.set(k, name || k);
  }
  return names;
}

const pad2 = (n) => String(n).padStart(2, "0");

// A calendar day as the dashboard writes it (present::format_date): Vietnamese
// "07/12/2026" (the day on two digits, the month on two only for January and February,
// as administrative documents write it: "05/8/2022"), English ISO "2026-12-07".
export function formatDay(year, month, day, lang) {
  if (lang === "en") return `${year}-${pad2(month)}-${pad2(day)}`;
  return `${pad2(day)}/${month < 3 ? pad2(month) : month}/${year}`;
}

// "2022-09-30" → formatDay; anything else is returned as given.
export function formatIsoDay(text, lang) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text ?? ""));
  return m ? formatDay(Number(m[1]), Number(m[2]), Number(m[3]), lang) : String(text ?? "");
}

// An instant ("2026-12-07T03:15:02Z") in the browser's local time: "07/12/2026 10:15".
export function formatInstant(text, lang) {
  const date = new Date(String(text ?? ""));
  if (Number.isNaN(date.getTime())) return String(text ?? "");
  const day = formatDay(date.getFullYear(), date.getMonth() + 1, date.getDate(), lang);
  return `${day} ${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
}

// An LSP position ({line, character}: 0-based, UTF-16 code units, which is what
// JavaScript strings and CodeMirror count) as an offset into `doc` (a CodeMirror Text),
// clamped to the line and to the document.
export function offsetOf(doc, position) {
  const lineNumber = Number.isFinite(position?.line) ? Math.trunc(position.line) : 0;
  if (lineNumber < 0) return 0;
  if (lineNumber + 1 > doc.lines) return doc.length;
  const line = doc.line(lineNumber + 1);
  const character = Number.isFinite(position?.character) ? Math.trunc(position.character) : 0;
  return line.from + Math.min(Math.max(0, character), line.length);
}

// A server range as {from, to} in `doc`, from ≤ to.
export function rangeOf(doc, range) {
  const from = offsetOf(doc, range?.start);
  const to = offsetOf(doc, range?.end ?? range?.start);
  return from <= to ? { from, to } : { from: to, to: from };
}

// The smallest single change that turns `before` into `after` (common prefix and suffix
// kept), so that formatting keeps the cursor where it was when little moves.
export function minimalChange(before, after) {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start += 1;
  let end = 0;
  while (
    end < max - start &&
    before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)
  ) {
    end += 1;
  }
  return {
    from: start,
    to: before.length - end,
    insert: after.slice(start, after.length - end),
  };
}

// The lines of a unified diff, each with its kind: "file" (---/+++), "hunk" (@@),
// "add", "del" or "context".
export function diffLines(diff) {
  const text = String(diff ?? "");
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const kinds = lines.map((line) => {
    if (line.startsWith("@@")) return "hunk";
    if (line.startsWith("diff ")) return "file";
    if (line.startsWith("+")) return "add";
    if (line.startsWith("-")) return "del";
    return "context";
  });
  // A "--- a" line followed by "+++ b" names the files, and is no removed line.
  for (let i = 0; i + 1 < lines.length; i += 1) {
    if (lines[i].startsWith("---") && lines[i + 1].startsWith("+++")) {
      kinds[i] = "file";
      kinds[i + 1] = "file";
    }
  }
  return lines.map((line, i) => ({ kind: kinds[i], line }));
}
