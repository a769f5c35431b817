// Helpers for the browser tests: a real `tiendo serve` on the example data, Debian's
// headless Chromium driven by playwright-core, axe-core, screenshots and a keyboard walk.
//
// Environment (CTest sets all three; see tests/CMakeLists.txt):
//   TIENDO_BINARY        the built `tiendo`
//   TIENDO_SOURCE_DIR    the repository (rules/, examples/)
//   TIENDO_ARTIFACT_DIR  where screenshots go (default: <repository>/build/artifacts)
//
// Every wait is bounded; the service and the browser are stopped even when a test fails
// (the callers' after() hooks, and an exit handler for a run cut short).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// playwright-core and axe-core come from npm (tests/browser/package-lock.json), installed by
// scripts/test; say so plainly instead of Node's "Cannot find package".
const notInstalled = (name) =>
  new Error(
    `${name} is not installed in ${path.join(here, 'node_modules')}: run ./scripts/test ` +
      `(it runs \`npm ci\` there), or \`npm ci --no-audit --no-fund\` in ${here}`,
  );
async function required(name) {
  try {
    return await import(name);
  } catch (error) {
    throw error?.code === 'ERR_MODULE_NOT_FOUND' ? notInstalled(name) : error;
  }
}
const { chromium } = await required('playwright-core');
const axePath = path.join(here, 'node_modules', 'axe-core', 'axe.min.js');
if (!fs.existsSync(axePath)) throw notInstalled('axe-core');

export const kTimeoutMs = 30_000;  // the longest any single wait may take
export const kChromium = '/usr/bin/chromium';

export const sourceDir = process.env.TIENDO_SOURCE_DIR ?? path.resolve(here, '..', '..');
export const binary = process.env.TIENDO_BINARY ?? path.join(sourceDir, 'build', 'src', 'tiendo');
export const artifactDir =
  process.env.TIENDO_ARTIFACT_DIR ?? path.join(sourceDir, 'build', 'artifacts');

// An unref'd timer: a bound that has not run out must not keep the process alive.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

// ---------------------------------------------------------------------------------------
// The service

// The tokens of tests/support/serve_process.hpp; the tokens file holds their hashes.
export const kTokens = {
  reader: ['read', 'tdo_test-read-token-0000000000000000000000000000'],
  writer: ['write', 'tdo_test-write-token-000000000000000000000000000'],
  ops: ['admin', 'tdo_test-admin-token-000000000000000000000000000'],
  author: ['rules', 'tdo_test-rules-token-000000000000000000000000000'],
};

const tomlString = (text) => `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;

// A daily schedule (Asia/Ho_Chi_Minh, UTC+7 all year) whose last tick was about twelve
// hours ago: the service queues the missed run at start ("catch-up"), and no scheduled
// run comes during the test. As catch_up_schedule() in tests/support/serve_process.cpp.
// A schedule that never fires: there is no 30 February (kNeverSchedule in serve_process.hpp).
const kNeverSchedule = '0 0 30 2 *';

export function catchUpSchedule(now = new Date()) {
  return `0 ${(now.getUTCHours() + 7 + 12) % 24} * * *`;
}

// Children still running, killed if this process exits before stopping them.
const children = new Set();
function killChildren() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killChildren();
    process.exit(128 + os.constants.signals[signal]);
  });
}

// `tiendo ingest` of the examples into `database`, as ingest_examples() in tests/e2e/run.cpp.
function ingestExamples(database) {
  const run = spawnSync(
    binary,
    ['ingest', '--db', database, '--rules', 'rules', 'examples/units.csv',
      'examples/observations-2022.csv', 'examples/community-teams.csv',
      'examples/task-status.json'],
    { cwd: sourceDir, encoding: 'utf8', timeout: kTimeoutMs, killSignal: 'SIGKILL' },
  );
  if (run.error || run.status !== 0) {
    throw new Error(`tiendo ingest of the examples failed (${run.error ?? `exit ${run.status}`
      }):\n${run.stderr}`);
  }
}

// `tiendo run` at `at` on `database`: a run recorded before the service starts.
function recordRun(database, at) {
  const run = spawnSync(binary, ['run', '--db', database, '--rules', 'rules', '--at', at], {
    cwd: sourceDir, encoding: 'utf8', timeout: kTimeoutMs, killSignal: 'SIGKILL',
  });
  if (run.error || run.status !== 0) {
    throw new Error(`tiendo run --at ${at} failed (${run.error ?? `exit ${run.status}`}):\n${
      run.stderr}`);
  }
}

// Starts `tiendo serve` as the C++ DashboardBrowserTest does (tests/e2e/dashboard_browser_test.cpp
// with tests/support/serve_process.cpp): in a fresh temporary directory, the examples ingested
// first, `dashboard_public = true`. By default a catch-up schedule makes the service
// evaluate at once (today); with `evaluateAt`, no schedule fires and the service is asked
// to evaluate at that date (POST /api/v1/evaluate) instead; `runBefore` records a run at
// that date with the command line first, so that the pages have an earlier run to compare
// with. Resolves once the service listens and that evaluation has finished.
// Returns { url, port, directory, log(), stop() }.
export async function startServe({ runBefore = null, evaluateAt = null } = {}) {
  if (!fs.existsSync(binary)) {
    throw new Error(`no tiendo binary at ${binary} (set TIENDO_BINARY, or build first)`);
  }
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tiendo-browser-'));
  const database = path.join(directory, 'tiendo.db');
  try {
    ingestExamples(database);
    if (runBefore) recordRun(database, runBefore);
  } catch (error) {
    fs.rmSync(directory, { recursive: true, force: true });
    throw error;
  }

  const tokens = path.join(directory, 'tokens');
  const hash = (token) => `sha256:${createHash('sha256').update(token).digest('hex')}`;
  fs.writeFileSync(
    tokens,
    '# id scope hash\n' +
      Object.entries(kTokens).map(([id, [scope, token]]) => `${id} ${scope} ${hash(token)}\n`)
        .join(''),
  );
  const config = path.join(directory, 'tiendo.toml');
  fs.writeFileSync(
    config,
    `listen = "127.0.0.1:0"\ndatabase = ${tomlString(database)}\n` +
      `rules = [${tomlString(path.join(sourceDir, 'rules'))}]\ntokens = ${tomlString(tokens)}\n` +
      'dashboard_public = true\n\n' +
      `[schedule]\ncron = ${tomlString(evaluateAt ? kNeverSchedule : catchUpSchedule())}\n` +
      'time_zone = "Asia/Ho_Chi_Minh"\n\n' +
      '[delivery]\nretry_initial = "1s"\nretry_max = "2s"\nconnect_timeout = "2s"\n' +
      'timeout = "5s"\n',
  );

  const logPath = path.join(directory, 'serve.log');
  const logFd = fs.openSync(logPath, 'w');
  const child = spawn(binary, ['serve', '--config', config], {
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  children.add(child);
  let exited = null;
  const exit = once(child, 'exit').then(([code, signal]) => {
    exited = { code, signal };
    children.delete(child);
  });
  const log = () => fs.readFileSync(logPath, 'utf8');

  // SIGTERM, then SIGKILL after 15 s; the temporary directory goes with it.
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      if (!(await Promise.race([exit.then(() => true), sleep(15_000).then(() => false)]))) {
        child.kill('SIGKILL');
        await Promise.race([exit, sleep(5_000)]);
      }
    }
    fs.rmSync(directory, { recursive: true, force: true });
    return exited;
  };

  // "listening address=127.0.0.1:40123" (or the JSON form), then the catch-up run's end.
  const waitFor = async (pattern, what) => {
    const deadline = Date.now() + kTimeoutMs;
    for (;;) {
      const match = log().match(pattern);
      if (match) return match;
      if (exited || Date.now() > deadline) {
        const text = log();
        await stop();
        throw new Error(`tiendo serve: ${exited ? `exited (${JSON.stringify(exited)})` :
          `no "${what}" within ${kTimeoutMs / 1000} s`}; its log:\n${text}`);
      }
      await sleep(20);
    }
  };
  const port = Number((await waitFor(/listening.*127\.0\.0\.1:([0-9]+)/, 'listening'))[1]);
  if (evaluateAt) {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/evaluate`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${kTokens.writer[1]}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ at: evaluateAt }),
      signal: AbortSignal.timeout(kTimeoutMs),
    });
    if (response.status !== 202) {
      const text = await response.text();
      await stop();
      throw new Error(`POST /api/v1/evaluate: ${response.status} ${text}`);
    }
  }
  await waitFor(/evaluation finished/, 'evaluation finished');
  return { url: `http://127.0.0.1:${port}/`, port, directory, log, stop };
}

// ---------------------------------------------------------------------------------------
// The browser

// Debian's Chromium (nothing downloaded), with every host but 127.0.0.1 unresolvable.
export async function launchBrowser() {
  return chromium.launch({
    executablePath: kChromium,
    args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
    timeout: kTimeoutMs,
  });
}

// A page of its own context, `width` × `height` CSS pixels at scale 1. The service's
// Content-Security-Policy (default-src 'none') would refuse axe-core's injected script, so
// the context bypasses it (unless `bypassCSP` is false: the rule editor's test runs its
// script under the policy); the C++ tests check the header itself. `requests` collects every
// address the page asked for.
export async function openPage(browser, width, height = 900, { bypassCSP = true } = {}) {
  const context = await browser.newContext({
    viewport: { width, height },
    deviceScaleFactor: 1,
    bypassCSP,
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(kTimeoutMs);
  context.setDefaultNavigationTimeout(kTimeoutMs);
  const page = await context.newPage();
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  return { context, page, requests, errors };
}

// ---------------------------------------------------------------------------------------
// axe-core

const kSerious = new Set(['serious', 'critical']);

// Runs axe-core (WCAG 2.x A/AA and best practices: its default rules) on the page.
// Returns { serious, all }: the serious and critical violations, and every violation,
// each as { id, impact, help, nodes (count), targets (the first few selectors) }.
export async function runAxe(page, { maxTargets = 5 } = {}) {
  const alreadyThere = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!alreadyThere) {
    await page.addScriptTag({ content: fs.readFileSync(axePath, 'utf8') });
  }
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.length,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  const all = violations.map((v) => ({ ...v, targets: v.targets.slice(0, maxTargets) }));
  return { serious: all.filter((v) => kSerious.has(v.impact)), all };
}

// One line per violation, for failure messages and the test's diagnostics.
export function describeViolations(violations) {
  return violations
    .map((v) => `${v.id} (${v.impact}, ${v.nodes} nodes): ${v.help}\n    ${v.targets.join('\n    ')}`)
    .join('\n');
}

// ---------------------------------------------------------------------------------------
// Screenshots

// The whole page as <artifactDir>/<name>-<width>.png; returns the path.
export async function screenshot(page, name, width) {
  fs.mkdirSync(artifactDir, { recursive: true });
  const file = path.join(artifactDir, `${name}-${width}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: kTimeoutMs });
  return file;
}

// ---------------------------------------------------------------------------------------
// Layout

// Whether the document scrolls sideways, and if it does, the outermost elements that
// stick out past the right edge (not counting what a scrolling container clips).
export async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    const clips = (el) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
    const wide = (el) => el.getBoundingClientRect().right > width + 1;
    const describe = (el) => {
      const id = el.id ? `#${el.id}` : '';
      const cls = typeof el.className === 'string' && el.className ?
        `.${el.className.trim().split(/\s+/).join('.')}` : '';
      return `${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(el.getBoundingClientRect().right)} px)`;
    };
    const offenders = [];
    const walk = (el) => {
      for (const child of el.children) {
        if (wide(child)) {
          offenders.push(describe(child));
          continue;  // its own descendants stick out with it
        }
        if (!clips(child)) walk(child);
      }
    };
    if (scrollWidth > width + 1) walk(document.body);
    return { scrollWidth, innerWidth: width, offenders: offenders.slice(0, 10) };
  });
}

// ---------------------------------------------------------------------------------------
// Keyboard

// Tabs through the page from its start until focus leaves the document or comes back to
// an element it already reached (at most `max` presses). Returns, in order, one entry per tab stop:
//   { description, tag, href, focusVisible, indicated, visible, changes }
// where `indicated` says whether the element, focused, looks different from the same
// element unfocused (measured before any Tab): an outline it draws only then, or another
// box-shadow, border, colour, background or underline; `changes` lists those differences. Also returns `controls`: every visible link and control of the page
// that should be a tab stop (links, buttons, form fields, summaries, [tabindex] >= 0),
// described the same way, to check each was reached.
export async function tabThrough(page, { max = 400 } = {}) {
  await page.evaluate(() => {
    const kProps = ['outlineStyle', 'outlineWidth', 'outlineColor', 'outlineOffset', 'boxShadow',
      'borderTopColor', 'borderBottomColor', 'borderBottomWidth', 'color', 'backgroundColor',
      'textDecorationLine'];
    const snapshot = (el) => {
      const s = getComputedStyle(el);
      return Object.fromEntries(kProps.map((p) => [p, s[p]]));
    };
    const describe = (el) => {
      const tag = el.tagName.toLowerCase();
      const text = (el.getAttribute('aria-label') ?? el.textContent ?? '').replace(/\s+/g, ' ')
        .trim().slice(0, 60);
      const href = el.getAttribute('href');
      return `${tag}${el.id ? `#${el.id}` : ''}${href !== null ? `[href="${href}"]` : ''} "${text}"`;
    };
    if (document.activeElement && document.activeElement !== document.body) {
      document.activeElement.blur();
    }
    window.__tiendoUnfocused = new Map();
    for (const el of document.querySelectorAll('*')) {
      window.__tiendoUnfocused.set(el, snapshot(el));
    }
    window.__tiendoSnapshot = snapshot;
    window.__tiendoSeen = new WeakSet();
    window.__tiendoLast = null;
    window.__tiendoDescribe = describe;
  });

  // Start from the top of the document, as a person arriving on the page does.
  await page.keyboard.press('Tab');
  const stops = [];
  for (let i = 0; i < max; ++i) {
    const stop = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body || el === document.documentElement) return null;
      // A date field takes one Tab per part (day, month, year): still the same stop.
      if (el === window.__tiendoLast) return 'same';
      if (window.__tiendoSeen.has(el)) return 'again';
      window.__tiendoLast = el;
      window.__tiendoSeen.add(el);
      const focused = window.__tiendoSnapshot(el);
      const before = window.__tiendoUnfocused.get(el) ?? {};
      // An outline drawn only when focused is an indication; a change to an outline that
      // is not drawn (outline: none, with the UA's outline-offset) is not.
      const outline = focused.outlineStyle !== 'none' && parseFloat(focused.outlineWidth) > 0;
      const changes = Object.keys(focused)
        .filter((p) => focused[p] !== before[p] && (outline || !p.startsWith('outline')))
        .map((p) => `${p}: ${before[p]} → ${focused[p]}`);
      const rect = el.getBoundingClientRect();
      return {
        description: window.__tiendoDescribe(el),
        tag: el.tagName.toLowerCase(),
        href: el.getAttribute('href'),
        focusVisible: el.matches(':focus-visible'),
        indicated: changes.length > 0,
        visible: rect.width > 0 && rect.height > 0,
        changes,
      };
    });
    // Focus left the document, or came round to an element already reached.
    if (stop === null || stop === 'again') break;
    if (stop !== 'same') stops.push(stop);
    await page.keyboard.press('Tab');
  }

  const controls = await page.evaluate(() =>
    [...document.querySelectorAll('a[href], area[href], button, input, select, textarea, ' +
      'summary, iframe, [contenteditable=""], [contenteditable="true"], [tabindex]')]
      .filter((el) => {
        const r = el.getBoundingClientRect();
        // What a closed <details> holds is not shown (Chromium keeps its layout, hidden):
        // only its summary is a stop until it is opened.
        const closed = el.closest('details:not([open])');
        if (closed && el !== closed.querySelector(':scope > summary')) return false;
        return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden' &&
          !el.disabled && el.getAttribute('tabindex') !== '-1' && el.type !== 'hidden';
      })
      .map((el) => window.__tiendoDescribe(el)));
  return { stops, controls };
}
