// The rule editor page ("Quy tắc"): everything inside #rule-editor. The server renders
// the mount point, the word lists (#rule-editor-keywords) and this script; the script
// talks to the rules API (data-api) with the staff member's bearer token.
//
//   token → versions → the current version's files in CodeMirror (one EditorState per
//   file) → check as you type, format, tests, preview → save a new version / restore one.
import { autocompletion } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, indentOnInput, indentUnit, syntaxTree } from "@codemirror/language";
import { lintGutter, linter, lintKeymap, setDiagnostics } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { EditorState, StateEffect } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { Api } from "./api.js";
import { fill, h } from "./dom.js";
import { rulesLanguage } from "./language.js";
import { addStyle, editorTheme } from "./style.js";
import { texts } from "./texts.js";
import { FALLBACK_FUNCTIONS, FALLBACK_KEYWORDS } from "./tokenizer.js";
import {
  diffLines,
  displayNames,
  formatInstant,
  formatIsoDay,
  minimalChange,
  rangeOf,
} from "./util.js";

const TOKEN_KEY = "tiendo-rules-token";

// Dispatched to have the linter check the files again though nothing changed.
const recheck = StateEffect.define();

// Badge colours of result states (the page's .green .amber .red .grey .blue).
const STATE_TONES = {
  met: "green",
  ok: "green",
  on_track: "blue",
  at_risk: "amber",
  no_data: "amber",
  stale: "amber",
  blocked: "amber",
  missed: "red",
  violated: "red",
  error: "red",
};

function readWords() {
  const el = document.getElementById("rule-editor-keywords");
  const words = { keywords: FALLBACK_KEYWORDS, functions: FALLBACK_FUNCTIONS };
  if (!el) return words;
  try {
    const parsed = JSON.parse(el.textContent || "{}");
    const strings = (list) =>
      Array.isArray(list) ? list.filter((w) => typeof w === "string" && w !== "") : [];
    if (strings(parsed.keywords).length) words.keywords = strings(parsed.keywords);
    if (strings(parsed.functions).length) words.functions = strings(parsed.functions);
  } catch {
    // The built-in lists stand in.
  }
  return words;
}

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

function storedToken() {
  try {
    return storage()?.getItem(TOKEN_KEY) || "";
  } catch {
    return "";
  }
}

function storeToken(value) {
  try {
    if (value) storage()?.setItem(TOKEN_KEY, value);
    else storage()?.removeItem(TOKEN_KEY);
  } catch {
    // A browser without storage keeps the token for this page only.
  }
}

function mount(root) {
  const t = texts(root.dataset.lang);
  const lang = root.dataset.lang === "en" ? "en" : "vi";
  const today = /^\d{4}-\d{2}-\d{2}$/.test(root.dataset.today || "")
    ? root.dataset.today
    : new Date().toISOString().slice(0, 10);
  const words = readWords();
  let apiBase;
  try {
    apiBase = new URL(root.dataset.api || "../api/v1/rules/", document.baseURI);
  } catch {
    apiBase = new URL("../api/v1/rules/", document.baseURI);
  }
  addStyle();

  // ---- State -------------------------------------------------------------------------
  const app = {
    token: "",
    authorized: false,
    versions: null, // GET versions: { current, versions: [...] }
    editing: null, // the version being edited: { version, created_at, author, message }
    files: new Map(), // key → { original, state (when not shown), dirty }
    order: [], // the keys, in the version's order
    names: new Map(), // key → display name
    currentKey: null,
    view: null,
    checkSeq: 0,
    latestCheck: null, // the newest check's promise
    lastCheck: null, // the newest check's { seq, res, texts } that came back
    restoreOpen: null, // the version whose restore awaits confirmation
    diffVersion: null,
  };

  const api = new Api({
    base: apiBase,
    t,
    token: () => app.token,
    onUnauthorized: (message) => unauthorized(message),
  });

  // ---- The page ----------------------------------------------------------------------
  const statusEl = (id, extra = {}) =>
    h("p", { id, class: "re-status", role: "status", "aria-live": "polite", ...extra });
  const setStatus = (el, text, tone) => {
    el.textContent = text || "";
    el.classList.toggle("re-bad", tone === "bad");
    el.classList.toggle("re-good", tone === "good");
  };
  const button = (id, text, onclick, cls = "") =>
    h("button", { id, type: "button", class: `re-btn ${cls}`.trim(), onclick }, text);

  // a. Token
  const tokenInput = h("input", {
    id: "token",
    class: "re-input",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    autocapitalize: "off",
    onkeydown: (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        guard(useToken, tokenStatus)();
      }
    },
  });
  const tokenStatus = statusEl("token-status");
  const tokenSection = h(
    "section",
    { class: "re-token", "aria-labelledby": "re-token-title" },
    h("h2", { id: "re-token-title" }, t.tokenTitle),
    h("p", { class: "muted", id: "token-help" }, t.tokenIntro),
    h(
      "div",
      { class: "re-row" },
      h("label", { class: "re-field grow", for: "token" }, t.tokenLabel, tokenInput),
      button("token-use", t.tokenUse, () => guard(useToken, tokenStatus)()),
      button("token-forget", t.tokenForget, () => forgetToken(), "secondary"),
    ),
    tokenStatus,
  );
  tokenInput.setAttribute("aria-describedby", "token-help");

  // b. Editor
  const fileSelect = h("select", {
    id: "file",
    class: "re-input",
    onchange: () => switchFile(fileSelect.value),
  });
  const versionInfo = h("p", { id: "version-info", class: "muted" });
  const editorStatus = statusEl("editor-status");
  const editorHost = h("div", { id: "editor", class: "re-editor" });
  const formatButton = button("format", t.format, () => guard(formatFile, formatStatus)(), "secondary");
  const testsButton = button("run-tests", t.runTests, () => guard(runTests, testsSummary)(), "secondary");
  const formatStatus = statusEl("format-status");
  const problemsSummary = statusEl("problems-summary");
  const problemsList = h("ul", { id: "problems-list", class: "re-list" });
  const testsSummary = statusEl("tests-summary");
  const testsList = h("ul", { id: "tests-list", class: "re-list" });
  const testsOutput = h(
    "div",
    { id: "tests-output", hidden: true },
    h("h3", {}, t.testsTitle),
    testsSummary,
    testsList,
  );
  const editorSection = h(
    "section",
    { class: "re-edit", "aria-labelledby": "re-edit-title" },
    h("h2", { id: "re-edit-title" }, t.editorTitle),
    h("div", { class: "re-row" }, h("label", { class: "re-field grow", for: "file" }, t.fileLabel, fileSelect)),
    versionInfo,
    editorStatus,
    editorHost,
    h("div", { class: "re-row" }, formatButton, testsButton),
    formatStatus,
    h("div", { id: "problems" }, h("h3", {}, t.problemsTitle), problemsSummary, problemsList),
    testsOutput,
  );

  // c. Preview
  const previewDate = h("input", {
    id: "preview-date",
    class: "re-input",
    type: "date",
    value: today,
    required: true,
  });
  const previewButton = button("preview", t.preview, () => guard(runPreview, previewStatus)());
  const previewStatus = statusEl("preview-status");
  const previewResult = h("div", { id: "preview-result" });
  const previewSection = h(
    "section",
    { class: "re-preview", "aria-labelledby": "re-preview-title" },
    h("h2", { id: "re-preview-title" }, t.previewTitle),
    h("p", { class: "muted" }, t.previewIntro),
    h(
      "div",
      { class: "re-row" },
      h("label", { class: "re-field", for: "preview-date" }, t.previewDate, previewDate),
      previewButton,
    ),
    h("div", { id: "preview-output" }, previewStatus, previewResult),
  );

  // d. Save
  const messageInput = h("input", {
    id: "message",
    class: "re-input",
    type: "text",
    required: true,
    maxlength: "500",
    autocomplete: "off",
    "aria-describedby": "message-help save-hint",
    oninput: () => {
      messageInput.removeAttribute("aria-invalid");
      updateSaveState();
    },
    onkeydown: (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        if (!saveButton.disabled) guard(save, saveStatus)();
      }
    },
  });
  const saveButton = button("save", t.save, () => guard(save, saveStatus)());
  saveButton.setAttribute("aria-describedby", "save-hint");
  const saveHint = h("span", { id: "save-hint", class: "muted" });
  const saveStatus = h("div", { id: "save-status", class: "re-status", role: "status", "aria-live": "polite" });
  const saveSection = h(
    "section",
    { class: "re-save", "aria-labelledby": "re-save-title" },
    h("h2", { id: "re-save-title" }, t.saveTitle),
    h(
      "div",
      { class: "re-row" },
      h("label", { class: "re-field grow", for: "message" }, t.messageLabel, messageInput),
    ),
    h("p", { id: "message-help", class: "muted" }, t.messageHelp),
    h("div", { class: "re-row" }, saveButton, saveHint),
    saveStatus,
  );

  // e. History
  const historyBody = h("tbody");
  const historyTable = h(
    "table",
    { id: "history", class: "re-cards" },
    h("caption", { class: "re-sr" }, t.historyLabel),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, t.colVersion),
        h("th", { scope: "col" }, t.colTime),
        h("th", { scope: "col" }, t.colAuthor),
        h("th", { scope: "col" }, t.colMessage),
        h("th", { scope: "col" }, t.colActions),
      ),
    ),
    historyBody,
  );
  const historyStatus = statusEl("history-status");
  const diffTitle = h("h3", { id: "diff-title", hidden: true });
  // A region (named by its heading) that the keyboard can reach and scroll.
  const diffPre = h("pre", {
    id: "diff",
    class: "re-diff",
    hidden: true,
    tabindex: "0",
    role: "region",
    "aria-labelledby": "diff-title",
  });
  const historySection = h(
    "section",
    { class: "re-history", "aria-labelledby": "re-history-title" },
    h("h2", { id: "re-history-title" }, t.historyTitle),
    h("div", { class: "scroll" }, historyTable),
    historyStatus,
    diffTitle,
    diffPre,
  );

  const mainPart = h("div", { id: "rule-editor-main", hidden: true }, editorSection, previewSection, saveSection, historySection);
  fill(root, tokenSection, mainPart);

  // Runs an async handler; whatever goes wrong shows in `where`, never as an uncaught error.
  function guard(fn, where) {
    return async (...args) => {
      try {
        await fn(...args);
      } catch (error) {
        console.error(error);
        setStatus(where, t.unexpected(error?.message || String(error)), "bad");
      }
    };
  }

  // ---- Token -------------------------------------------------------------------------
  async function useToken() {
    const value = tokenInput.value.trim();
    if (!value) {
      setStatus(tokenStatus, t.tokenEmpty, "bad");
      tokenInput.focus();
      return;
    }
    app.token = value;
    setStatus(tokenStatus, t.tokenChecking);
    const res = await api.get("versions");
    if (res.unauthorized || app.token !== value) return; // unauthorized() said why
    if (!res.ok) {
      setStatus(tokenStatus, res.message, "bad");
      return;
    }
    storeToken(value);
    app.authorized = true;
    mainPart.hidden = false;
    setStatus(tokenStatus, t.tokenAccepted, "good");
    const reload = !app.editing || !anyDirty();
    await applyVersions(res.data, { reload });
    // Edits kept from before the token was refused: check them again now.
    if (!reload && app.view) app.view.dispatch({ effects: recheck.of(null) });
  }

  function unauthorized(message) {
    const wasAuthorized = app.authorized;
    app.authorized = false;
    app.token = "";
    app.checkSeq += 1; // whatever is in flight is stale now
    storeToken("");
    tokenInput.value = "";
    mainPart.hidden = true;
    setStatus(tokenStatus, t.tokenRejected(message || t.tokenRejectedDefault), "bad");
    if (wasAuthorized || document.activeElement === document.body) tokenInput.focus();
  }

  function forgetToken() {
    storeToken("");
    app.token = "";
    app.authorized = false;
    app.checkSeq += 1;
    tokenInput.value = "";
    mainPart.hidden = true;
    resetEditor();
    app.versions = null;
    fill(historyBody);
    setStatus(tokenStatus, t.tokenForgotten);
    tokenInput.focus();
  }

  // ---- Versions and files ------------------------------------------------------------
  // Shows the versions; with reload (or when nothing is loaded), loads the current one's
  // files into the editor.
  async function applyVersions(data, { reload = false, keep = null } = {}) {
    app.versions = {
      current: data?.current ?? null,
      versions: Array.isArray(data?.versions) ? data.versions : [],
    };
    renderHistory();
    if (app.versions.current == null) {
      resetEditor();
      setStatus(editorStatus, t.noVersions);
      updateControls();
      return;
    }
    if (reload || !app.editing) {
      await loadVersion(app.versions.current, keep);
    } else {
      renderVersionInfo();
    }
  }

  async function refreshVersions(options) {
    setStatus(historyStatus, t.loadingVersions);
    const res = await api.get("versions");
    if (res.unauthorized) return false;
    if (!res.ok) {
      setStatus(historyStatus, res.message, "bad");
      return false;
    }
    setStatus(historyStatus, "");
    await applyVersions(res.data, options);
    return true;
  }

  // Loads version n's files into the editor, each as it was saved, except those in
  // `keep` (key → text), which keep that text (edited since).
  async function loadVersion(n, keep = null) {
    setStatus(editorStatus, t.loadingFiles(n));
    const res = await api.get(`versions/${encodeURIComponent(n)}`);
    if (res.unauthorized) return;
    if (!res.ok) {
      setStatus(editorStatus, res.message, "bad");
      return;
    }
    const data = res.data;
    const files = Array.isArray(data.files)
      ? data.files.filter((f) => f && typeof f.name === "string")
      : [];
    const previous = app.currentKey;
    resetEditor();
    app.editing = {
      version: data.version ?? n,
      created_at: data.created_at,
      author: data.author,
      message: data.message,
    };
    app.order = files.map((f) => f.name);
    app.names = displayNames(app.order);
    for (const f of files) {
      const original = typeof f.text === "string" ? f.text : "";
      const text = keep && typeof keep[f.name] === "string" ? keep[f.name] : original;
      app.files.set(f.name, { original, state: makeState(f.name, text), dirty: text !== original });
    }
    setStatus(editorStatus, files.length ? "" : t.noFiles);
    renderVersionInfo();
    if (files.length) {
      app.currentKey = app.order.includes(previous) ? previous : app.order[0];
      const entry = app.files.get(app.currentKey);
      app.view = new EditorView({ state: entry.state, parent: editorHost });
      entry.state = null;
      setProblems(null);
    }
    renderFileOptions();
    updateControls();
  }

  function resetEditor() {
    if (app.view) {
      app.view.destroy();
      app.view = null;
    }
    fill(editorHost);
    app.files = new Map();
    app.order = [];
    app.names = new Map();
    app.currentKey = null;
    app.editing = null;
    app.lastCheck = null;
    app.checkSeq += 1;
    fill(problemsList);
    setStatus(problemsSummary, "");
    setStatus(formatStatus, "");
    testsOutput.hidden = true;
    setStatus(previewStatus, "");
    fill(previewResult);
    renderFileOptions();
    versionInfo.textContent = "";
    updateControls();
  }

  function renderVersionInfo() {
    if (!app.editing) {
      versionInfo.textContent = "";
      return;
    }
    const e = app.editing;
    let text = t.versionLine(e.version, formatInstant(e.created_at, lang), e.author ?? "—");
    const current = app.versions?.current;
    if (current != null && current !== e.version) text += ` ${t.notCurrent(current)}`;
    versionInfo.textContent = text;
  }

  const nameOf = (key) => app.names.get(key) ?? key;

  function textOf(key) {
    if (key === app.currentKey && app.view) return app.view.state.doc.toString();
    const entry = app.files.get(key);
    return entry?.state ? entry.state.doc.toString() : (entry?.original ?? "");
  }

  function allTexts() {
    const files = {};
    for (const key of app.order) files[key] = textOf(key);
    return files;
  }

  function changedTexts() {
    const files = {};
    for (const key of app.order) if (app.files.get(key)?.dirty) files[key] = textOf(key);
    return files;
  }

  const anyDirty = () => app.order.some((key) => app.files.get(key)?.dirty);

  function renderFileOptions() {
    const options = app.order.map((key) => {
      const dirty = app.files.get(key)?.dirty;
      const label = dirty ? `• ${nameOf(key)} (${t.edited})` : nameOf(key);
      return h("option", { value: key, selected: key === app.currentKey }, label);
    });
    fill(fileSelect, options);
    if (app.currentKey) fileSelect.value = app.currentKey;
  }

  function switchFile(key) {
    if (!app.files.has(key) || key === app.currentKey || !app.view) return;
    app.files.get(app.currentKey).state = app.view.state;
    app.currentKey = key;
    const entry = app.files.get(key);
    app.view.setState(entry.state);
    entry.state = null;
    fileSelect.value = key;
    // The last check's findings for this file, until the linter's own check comes back.
    const last = app.lastCheck;
    if (last && last.texts[key] === app.view.state.doc.toString()) {
      app.view.dispatch(setDiagnostics(app.view.state, diagnosticsFor(app.view.state, key, last.res.data)));
    }
  }

  function onDocChanged() {
    const key = app.currentKey;
    const entry = app.files.get(key);
    if (!entry || !app.view) return;
    const doc = app.view.state.doc;
    const dirty = doc.length !== entry.original.length || doc.toString() !== entry.original;
    if (dirty !== entry.dirty) {
      entry.dirty = dirty;
      renderFileOptions();
    }
    updateSaveState();
  }

  function updateControls() {
    const ready = Boolean(app.view);
    formatButton.disabled = !ready;
    testsButton.disabled = !ready;
    previewButton.disabled = !ready;
    fileSelect.disabled = app.order.length === 0;
    updateSaveState();
  }

  function updateSaveState() {
    const changed = Object.keys(changedTexts()).length;
    saveButton.disabled = changed === 0 || !app.view;
    if (changed === 0) saveHint.textContent = t.saveNothing;
    else if (!messageInput.value.trim()) saveHint.textContent = t.saveNeedsMessage;
    else saveHint.textContent = t.saveReady(changed);
  }

  // ---- CodeMirror ----------------------------------------------------------------------
  const completionSource = (() => {
    const base = [
      ...words.keywords.map((label) => ({ label, type: "keyword" })),
      ...words.functions.map((label) => ({ label, type: "function" })),
    ];
    const declared = /^[ \t]*(indicator|plan|task|channel|rule|set)[ \t]+([A-Za-z_][A-Za-z0-9_]*)/gm;
    return (context) => {
      const word = context.matchBefore(/[A-Za-z_][A-Za-z0-9_]*/);
      if (!word || (word.from === word.to && !context.explicit)) return null;
      const node = syntaxTree(context.state).resolveInner(context.pos, -1);
      if (/^(comment|string|testName|escape|placeholder)$/.test(node.name)) return null;
      const seen = new Set(base.map((o) => o.label));
      const options = [...base];
      for (const key of app.order) {
        const text = key === app.currentKey ? context.state.doc.toString() : textOf(key);
        for (const m of text.matchAll(declared)) {
          if (seen.has(m[2])) continue;
          seen.add(m[2]);
          options.push({ label: m[2], type: "variable", detail: m[1] });
        }
      }
      return { from: word.from, options, validFor: /^[A-Za-z_][A-Za-z0-9_]*$/ };
    };
  })();

  const baseExtensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    drawSelection(),
    indentOnInput(),
    indentUnit.of("  "),
    EditorState.tabSize.of(2),
    bracketMatching(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    autocompletion({ override: [completionSource] }),
    rulesLanguage(words),
    lintGutter(),
    linter((view) => lintSource(view), {
      delay: 300,
      needsRefresh: (update) => update.transactions.some((tr) => tr.effects.some((e) => e.is(recheck))),
    }),
    keymap.of([...defaultKeymap, ...searchKeymap, ...historyKeymap, ...lintKeymap]),
    EditorView.lineWrapping,
    EditorView.updateListener.of((update) => {
      if (update.docChanged) onDocChanged();
    }),
    editorTheme,
  ];

  function makeState(key, text) {
    return EditorState.create({
      doc: text,
      extensions: [
        baseExtensions,
        // tabindex: what makes the scrolling editor keyboard-reachable to axe-core (a
        // contenteditable element is focusable anyway).
        EditorView.contentAttributes.of({ "aria-label": t.editorLabel(nameOf(key)), tabindex: "0" }),
      ],
    });
  }

  // ---- Checks --------------------------------------------------------------------------
  // POST check with every file's text; → { seq, res, texts }. Only the newest request's
  // answer is applied (app.checkSeq).
  function check(tests = false) {
    const seq = ++app.checkSeq;
    const files = allTexts();
    const body = tests ? { files, tests: true } : { files };
    const promise = api.post("check", body).then((res) => ({ seq, res, texts: files }));
    app.latestCheck = promise;
    return promise;
  }

  // Waits until the answer in hand is the newest request's.
  async function newest(result) {
    let r = result;
    while (r.seq !== app.checkSeq && app.latestCheck) {
      const next = await app.latestCheck;
      if (next === r) break;
      r = next;
    }
    return r.seq === app.checkSeq ? r : null;
  }

  function applyCheck(r) {
    if (r.res.unauthorized) return;
    if (!r.res.ok || !Array.isArray(r.res.data?.diagnostics)) {
      setStatus(problemsSummary, t.checkFailed(r.res.message || t.httpError(r.res.status)), "bad");
      return;
    }
    app.lastCheck = r;
    setProblems(r.res.data);
  }

  async function lintSource(view) {
    if (!app.authorized || !app.view || app.view !== view || !app.currentKey) return [];
    const key = app.currentKey;
    const state = view.state;
    if (!problemsSummary.textContent) setStatus(problemsSummary, t.checking);
    const r = await newest(await check(false));
    if (!r) return [];
    applyCheck(r);
    if (!r.res.ok || r.texts[key] !== state.doc.toString()) return [];
    return diagnosticsFor(state, key, r.res.data);
  }

  const severityOf = (s) => (s === "error" || s === "warning" ? s : "info");

  // The answer's diagnostics of file `key` as CodeMirror diagnostics in `state`.
  function diagnosticsFor(state, key, data) {
    const list = Array.isArray(data?.diagnostics) ? data.diagnostics : [];
    return list
      .filter((d) => d && d.file === key)
      .map((d) => {
        const { from, to } = rangeOf(state.doc, d.range);
        const diagnostic = {
          from,
          to,
          severity: severityOf(d.severity),
          message: String(d.message ?? ""),
        };
        if (d.code) diagnostic.source = String(d.code);
        if (typeof d.suggestion === "string" && d.suggestion !== "") {
          const suggestion = d.suggestion;
          diagnostic.actions = [
            {
              name: t.replaceWith(suggestion),
              apply: (view, actionFrom, actionTo) =>
                view.dispatch({
                  changes: { from: actionFrom, to: actionTo, insert: suggestion },
                  selection: { anchor: actionFrom + suggestion.length },
                  userEvent: "input.complete",
                }),
            },
          ];
        }
        return diagnostic;
      });
  }

  // The summary and the list of every file's diagnostics (null: clear).
  function setProblems(data) {
    if (!data) {
      setStatus(problemsSummary, "");
      fill(problemsList);
      return;
    }
    const list = Array.isArray(data.diagnostics) ? data.diagnostics.filter(Boolean) : [];
    const errors = Number.isFinite(data.counts?.errors)
      ? data.counts.errors
      : list.filter((d) => d.severity === "error").length;
    const warnings = Number.isFinite(data.counts?.warnings)
      ? data.counts.warnings
      : list.filter((d) => d.severity === "warning").length;
    setStatus(problemsSummary, t.counts(errors, warnings), errors > 0 ? "bad" : "");
    const rank = (key) => {
      const i = app.order.indexOf(key);
      return i < 0 ? app.order.length : i;
    };
    const sorted = [...list].sort(
      (a, b) =>
        rank(a.file) - rank(b.file) ||
        (a.range?.start?.line ?? 0) - (b.range?.start?.line ?? 0) ||
        (a.range?.start?.character ?? 0) - (b.range?.start?.character ?? 0),
    );
    fill(problemsList, sorted.map((d) => diagnosticItem(d, true)));
  }

  function severityBadge(severity) {
    const s = severityOf(severity);
    const [tone, text] =
      s === "error" ? ["red", t.severityError] : s === "warning" ? ["amber", t.severityWarning] : ["grey", t.severityInfo];
    return h("span", { class: `badge ${tone}` }, text);
  }

  // "file:line: message (code)", the place a button that goes there when `jump`.
  function diagnosticItem(d, jump) {
    const line = (Number.isFinite(d.range?.start?.line) ? d.range.start.line : 0) + 1;
    const place = d.file ? `${nameOf(d.file)}:${line}` : "";
    const target = !place
      ? null
      : jump && app.files.has(d.file)
        ? h(
            "button",
            { type: "button", class: "re-link", title: t.goTo(nameOf(d.file), line), onclick: () => goTo(d) },
            place,
          )
        : h("span", {}, place);
    return h(
      "li",
      { class: `diag ${severityOf(d.severity)}` },
      severityBadge(d.severity),
      " ",
      target,
      place ? `: ${d.message ?? ""}` : String(d.message ?? ""),
      d.code ? h("span", { class: "re-code" }, ` (${d.code})`) : null,
    );
  }

  function goTo(d) {
    switchFile(d.file);
    if (!app.view || app.currentKey !== d.file) return;
    const { from } = rangeOf(app.view.state.doc, d.range);
    app.view.dispatch({ selection: { anchor: from }, scrollIntoView: true });
    app.view.focus();
  }

  // ---- Format ------------------------------------------------------------------------
  async function formatFile() {
    if (!app.view) return;
    const key = app.currentKey;
    const text = app.view.state.doc.toString();
    formatButton.disabled = true;
    setStatus(formatStatus, t.formatting);
    try {
      const res = await api.post("format", { file: key, text });
      if (res.unauthorized) return;
      if (!res.ok || typeof res.data?.text !== "string") {
        // 422: the message names the first syntax error; the linter marks them all.
        setStatus(formatStatus, res.message || t.badAnswer(res.status), "bad");
        return;
      }
      if (!app.view || app.currentKey !== key || app.view.state.doc.toString() !== text) {
        setStatus(formatStatus, t.formatStale, "bad");
        return;
      }
      const formatted = res.data.text;
      if (formatted === text) {
        setStatus(formatStatus, t.formatUnchanged, "good");
        return;
      }
      // One transaction: one undo step.
      app.view.dispatch({
        changes: minimalChange(text, formatted),
        userEvent: "input.format",
        scrollIntoView: true,
      });
      setStatus(formatStatus, t.formatted, "good");
    } finally {
      formatButton.disabled = !app.view;
    }
  }

  // ---- Tests -------------------------------------------------------------------------
  async function runTests() {
    if (!app.view) return;
    testsOutput.hidden = false;
    testsButton.disabled = true;
    setStatus(testsSummary, t.testsRunning);
    fill(testsList);
    try {
      const r = await check(true);
      if (r.res.unauthorized) return;
      if (!r.res.ok || !Array.isArray(r.res.data?.diagnostics)) {
        setStatus(testsSummary, r.res.message || t.badAnswer(r.res.status), "bad");
        return;
      }
      if (r.seq === app.checkSeq) {
        applyCheck(r);
        const key = app.currentKey;
        if (app.view && r.texts[key] === app.view.state.doc.toString()) {
          app.view.dispatch(setDiagnostics(app.view.state, diagnosticsFor(app.view.state, key, r.res.data)));
        }
      }
      renderTests(r.res.data);
    } finally {
      testsButton.disabled = !app.view;
    }
  }

  function renderTests(data) {
    const tests = Array.isArray(data.tests) ? data.tests.filter(Boolean) : [];
    const errors = Number.isFinite(data.counts?.errors)
      ? data.counts.errors
      : (data.diagnostics || []).filter((d) => d?.severity === "error").length;
    if (tests.length === 0) {
      setStatus(testsSummary, errors > 0 || data.ok === false ? t.testsBlocked : t.noTests, errors > 0 ? "bad" : "");
      fill(testsList);
      return;
    }
    const passed = tests.filter((x) => x.passed === true).length;
    setStatus(testsSummary, t.testsSummary(passed, tests.length - passed), passed === tests.length ? "good" : "bad");
    fill(testsList, tests.map((x) => testItem(x)));
  }

  function testItem(x) {
    const ok = x.passed === true;
    const failures = Array.isArray(x.failures) ? x.failures : [];
    const where = x.file ? `${nameOf(x.file)}${Number.isFinite(x.line) ? `:${x.line}` : ""}` : "";
    return h(
      "li",
      { class: ok ? "pass" : "fail" },
      h("span", { class: `badge ${ok ? "green" : "red"}` }, ok ? t.testPassed : t.testFailed),
      " ",
      h("strong", {}, String(x.name ?? "")),
      where ? h("span", { class: "muted" }, ` — ${where}`) : null,
      failures.length ? h("ul", {}, failures.map((f) => h("li", {}, String(f)))) : null,
    );
  }

  // ---- Preview -----------------------------------------------------------------------
  async function runPreview() {
    if (!app.view) return;
    const at = previewDate.value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(at)) {
      setStatus(previewStatus, t.previewNeedsDate, "bad");
      previewDate.focus();
      return;
    }
    previewButton.disabled = true;
    setStatus(previewStatus, t.previewRunning);
    fill(previewResult);
    try {
      // The states and figures in the page's language.
      const res = await api.post(`preview?lang=${lang}`, { files: allTexts(), at });
      if (res.unauthorized) return;
      if (!res.ok || !Array.isArray(res.data?.changed)) {
        setStatus(previewStatus, res.message || t.badAnswer(res.status), "bad");
        if (res.status === 422 && Array.isArray(res.data?.diagnostics)) {
          fill(previewResult, h("ul", { class: "re-list" }, res.data.diagnostics.filter(Boolean).map((d) => diagnosticItem(d, true))));
        }
        return;
      }
      renderPreview(res.data);
    } finally {
      previewButton.disabled = !app.view;
    }
  }

  function stateCell(result, label) {
    if (!result) return h("td", { "data-label": label }, h("span", { class: "muted" }, t.noResult));
    // The dashboard's colour of the state, as the service says it (present::tone).
    const tone = (typeof result.tone === "string" && result.tone) || STATE_TONES[result.state] || "grey";
    return h(
      "td",
      { "data-label": label },
      h("span", { class: `badge ${tone}`, dataset: { state: String(result.state ?? "") } }, String(result.state_text ?? result.state ?? "")),
      result.value != null && result.value !== "" ? [" ", h("span", { class: "value" }, String(result.value))] : null,
    );
  }

  function renderPreview(data) {
    const changed = data.changed.filter(Boolean);
    const unchanged = Number.isFinite(data.unchanged) ? data.unchanged : 0;
    if (changed.length === 0) {
      setStatus(previewStatus, t.previewNoChanges(unchanged));
      return;
    }
    const evaluated = Number.isFinite(data.evaluated) ? data.evaluated : changed.length + unchanged;
    setStatus(
      previewStatus,
      `${t.previewSummary(formatIsoDay(data.at, lang), data.version ?? "—", evaluated, changed.length)} ${t.previewUnchanged(unchanged)}`,
    );
    const rows = changed.map((c) =>
      h(
        "tr",
        {},
        h(
          "td",
          { "data-label": t.colRule },
          String(c.title || c.rule || ""),
          c.title && c.rule ? [h("br"), h("code", {}, String(c.rule))] : null,
        ),
        h("td", { "data-label": t.colUnit }, String(c.unit_name || c.unit || "")),
        stateCell(c.before, t.colBefore),
        stateCell(c.after, t.colAfter),
      ),
    );
    fill(
      previewResult,
      h(
        "div",
        { class: "scroll", role: "region", tabindex: "0", "aria-label": t.previewTableLabel },
        h(
          "table",
          { class: "re-preview-table re-cards" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, t.colRule),
              h("th", { scope: "col" }, t.colUnit),
              h("th", { scope: "col" }, t.colBefore),
              h("th", { scope: "col" }, t.colAfter),
            ),
          ),
          h("tbody", {}, rows),
        ),
      ),
    );
  }

  // ---- Save --------------------------------------------------------------------------
  async function save() {
    if (!app.view || !app.editing) return;
    const files = changedTexts();
    if (Object.keys(files).length === 0) {
      setStatus(saveStatus, t.saveNothing);
      return;
    }
    const message = messageInput.value.trim();
    if (!message) {
      messageInput.setAttribute("aria-invalid", "true");
      setStatus(saveStatus, t.saveNeedsMessage, "bad");
      messageInput.focus();
      return;
    }
    const sent = allTexts();
    saveButton.disabled = true;
    setStatus(saveStatus, t.saving);
    try {
      const res = await api.post("versions", { files, message, base: app.editing.version });
      if (res.unauthorized) return;
      if (res.status === 201 || (res.ok && res.data?.version != null)) {
        messageInput.value = "";
        // Whatever was typed while saving stays, as an edit of the new version.
        const now = allTexts();
        const keep = {};
        for (const key of Object.keys(now)) if (now[key] !== sent[key]) keep[key] = now[key];
        await refreshVersions({ reload: true, keep });
        setStatus(saveStatus, t.saved(res.data.version), "good");
        return;
      }
      showRefusal(saveStatus, res);
      if (res.status === 409) await refreshVersions({ reload: false });
    } finally {
      updateSaveState();
    }
  }

  // 409 and 422 answers (and any other failure) of save and restore.
  function showRefusal(where, res) {
    if (res.status === 409) {
      const current = res.data?.current ?? app.versions?.current;
      setStatus(where, t.conflict(res.message, current ?? "?"), "bad");
      if (where === saveStatus && current != null && anyDirty()) {
        fill(where, h("p", { class: "re-bad" }, t.conflict(res.message, current)));
        where.classList.remove("re-bad");
        where.append(
          h("p", {}, t.rebaseHelp(current)),
          button("rebase", t.rebase(current), () => guard(rebase, saveStatus)(), "secondary"),
        );
      }
      return;
    }
    setStatus(where, res.message || t.badAnswer(res.status), "bad");
    if (res.status !== 422 || !res.data) return;
    const diagnostics = Array.isArray(res.data.diagnostics)
      ? res.data.diagnostics.filter((d) => d && (d.severity === "error" || !d.severity))
      : [];
    const failing = Array.isArray(res.data.tests) ? res.data.tests.filter((x) => x && x.passed !== true) : [];
    const p = h("p", { class: "re-bad" }, where.textContent);
    fill(where, p);
    where.classList.remove("re-bad");
    if (diagnostics.length) {
      where.append(
        h("p", {}, t.refusedDiagnostics),
        h("ul", { class: "re-list" }, diagnostics.map((d) => diagnosticItem(d, true))),
      );
    }
    if (failing.length) {
      where.append(h("p", {}, t.refusedTests), h("ul", { class: "re-list" }, failing.map((x) => testItem(x))));
    }
  }

  // After a 409: the edited files, as they are now, onto the version in use; says which
  // of them that version changed too (the edits replace those changes unless merged).
  async function rebase() {
    const keep = changedTexts();
    const before = new Map(app.order.map((key) => [key, app.files.get(key)?.original]));
    setStatus(saveStatus, t.loadingVersions);
    if (!(await refreshVersions({ reload: true, keep }))) return;
    if (!app.editing) return;
    const clashes = Object.keys(keep).filter(
      (key) => app.files.has(key) && app.files.get(key).original !== before.get(key),
    );
    const version = app.editing.version;
    setStatus(
      saveStatus,
      clashes.length
        ? `${t.rebased(version)} ${t.rebaseClashes(version, clashes.map(nameOf).join(", "))}`
        : t.rebased(version),
      clashes.length ? "bad" : "good",
    );
    updateSaveState();
  }

  // ---- History -----------------------------------------------------------------------
  function sourceText(v) {
    if (v.source === "restore") return t.sourceRestore(v.restored_from ?? null);
    if (v.source === "editor") return t.sourceEditor;
    if (v.source === "files") return t.sourceFiles;
    return "";
  }

  function renderHistory() {
    const current = app.versions?.current;
    const rows = (app.versions?.versions ?? []).filter(Boolean).map((v) => {
      const n = v.version;
      const isCurrent = n === current;
      const source = sourceText(v);
      const actions = h(
        "div",
        { class: "re-actions" },
        h(
          "button",
          {
            type: "button",
            class: "re-btn secondary small show-diff",
            dataset: { version: String(n) },
            "aria-label": t.showDiffLabel(n),
            onclick: () => guard(showDiff, historyStatus)(n),
          },
          t.showDiff,
        ),
        isCurrent
          ? null
          : h(
              "button",
              {
                type: "button",
                class: "re-btn secondary small restore",
                dataset: { version: String(n) },
                "aria-label": t.restoreLabel(n),
                "aria-expanded": app.restoreOpen === n ? "true" : "false",
                onclick: () => {
                  app.restoreOpen = app.restoreOpen === n ? null : n;
                  renderHistory();
                  const v = CSS.escape(String(n));
                  (
                    root.querySelector(`button.restore-confirm[data-version="${v}"]`) ??
                    root.querySelector(`button.restore[data-version="${v}"]`)
                  )?.focus();
                },
              },
              t.restore,
            ),
      );
      const confirm =
        !isCurrent && app.restoreOpen === n
          ? h(
              "div",
              { class: "re-confirm" },
              h("span", {}, t.restoreAsk(n), anyDirty() ? ` ${t.restoreLosesEdits}` : ""),
              h(
                "button",
                {
                  type: "button",
                  class: "re-btn danger small restore-confirm",
                  dataset: { version: String(n) },
                  "aria-label": t.restoreConfirmLabel(n),
                  onclick: () => guard(restore, historyStatus)(n),
                },
                t.restoreConfirm,
              ),
              h(
                "button",
                {
                  type: "button",
                  class: "re-btn secondary small restore-cancel",
                  dataset: { version: String(n) },
                  "aria-label": t.restoreCancelLabel(n),
                  onclick: () => {
                    app.restoreOpen = null;
                    renderHistory();
                    root.querySelector(`button.restore[data-version="${CSS.escape(String(n))}"]`)?.focus();
                  },
                },
                t.restoreCancel,
              ),
            )
          : null;
      return h(
        "tr",
        { class: isCurrent ? "current" : null, dataset: { version: String(n) } },
        h(
          "td",
          { class: "re-version", "data-label": t.colVersion },
          String(n),
          isCurrent ? [" ", h("span", { class: "badge green" }, t.current)] : null,
        ),
        h("td", { class: "date", "data-label": t.colTime }, formatInstant(v.created_at, lang)),
        h("td", { "data-label": t.colAuthor }, String(v.author ?? "")),
        h(
          "td",
          { "data-label": t.colMessage },
          String(v.message ?? ""),
          source ? [h("br"), h("span", { class: "muted" }, source)] : null,
        ),
        h("td", { class: "re-cell-actions" }, actions, confirm),
      );
    });
    fill(historyBody, rows);
  }

  async function showDiff(n) {
    app.diffVersion = n;
    setStatus(historyStatus, t.diffLoading(n));
    const res = await api.get(`versions/${encodeURIComponent(n)}`);
    if (res.unauthorized || app.diffVersion !== n) return;
    if (!res.ok) {
      setStatus(historyStatus, res.message, "bad");
      return;
    }
    setStatus(historyStatus, "");
    diffTitle.textContent = t.diffTitle(n);
    diffTitle.hidden = false;
    const lines = diffLines(res.data.diff);
    if (lines.length === 0) {
      fill(diffPre, h("span", { class: "context" }, t.diffEmpty));
    } else {
      fill(diffPre, lines.map(({ kind, line }) => h("span", { class: kind }, `${line}\n`)));
    }
    diffPre.hidden = false;
    diffPre.scrollTop = 0;
    diffTitle.scrollIntoView({ block: "nearest" });
  }

  async function restore(n) {
    const current = app.versions?.current;
    setStatus(historyStatus, t.restoring(n));
    const res = await api.post(`versions/${encodeURIComponent(n)}/restore`, {
      message: t.restoreMessage(n),
      base: current,
    });
    if (res.unauthorized) return;
    app.restoreOpen = null;
    if (res.status === 201 || (res.ok && res.data?.version != null)) {
      await refreshVersions({ reload: true });
      setStatus(historyStatus, t.restored(n, res.data.version), "good");
      setStatus(saveStatus, "");
      return;
    }
    if (res.status === 409) await refreshVersions({ reload: false });
    else renderHistory();
    showRefusal(historyStatus, res);
  }

  // ---- Start -------------------------------------------------------------------------
  updateControls();
  const saved = storedToken();
  if (saved) {
    tokenInput.value = saved;
    guard(useToken, tokenStatus)();
  }
}

function start() {
  const root = document.getElementById("rule-editor");
  if (!root || root.dataset.mounted) return;
  root.dataset.mounted = "1";
  try {
    mount(root);
  } catch (error) {
    console.error(error);
    root.textContent = String(error?.message || error);
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
