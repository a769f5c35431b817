// The dashboard driven in Debian's headless Chromium (playwright-core) against a real
// `tiendo serve` on the example data: for the Vietnamese page `/` and the English one
// `/?lang=en`, on a phone (390 px) and a desktop (1280 px):
//   - axe-core finds no serious or critical violation;
//   - at 390 px the document does not scroll sideways (a table may scroll in its own box);
//   - Tab reaches every link and control, and every tab stop shows that it has focus;
//   - screenshots, on screen and as printed, go to TIENDO_ARTIFACT_DIR as
//     dashboard-<lang>-<width>.png and dashboard-<lang>-print-<width>.png.
// Run by CTest as browser_dashboard (node --test); see tests/browser/lib.mjs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  describeViolations,
  horizontalOverflow,
  launchBrowser,
  openPage,
  runAxe,
  screenshot,
  startServe,
  tabThrough,
} from './lib.mjs';

const kPages = [
  { lang: 'vi', query: '', heading: 'Bảng theo dõi tiến độ' },
  { lang: 'en', query: '?lang=en', heading: 'Progress dashboard' },
];
const kWidths = [390, 1280];
const kHeight = 900;

// TODO(dashboard redesign): what the current page fails, by width (both languages fail
// alike). The page is being redesigned elsewhere; these checks run as todo tests, which
// report but do not fail, while the strict tests beside them still fail on anything else
// (a new violation, another element sticking out). Remove each entry when the page passes.
//   - axe-core at 1280 px: scrollable-region-focusable (serious) on `#so-do > .graph`, the
//     plan graph's scrolling box, which has no tabindex and nothing focusable inside it
//     (Chromium lets Tab reach it anyway; other browsers do not).
//   - At 390 px the document is about 1200 px wide: the targets, alerts and tasks tables
//     are laid out at their full width in the page instead of scrolling in their own box.
const kKnown = {
  axe: { 1280: ['scrollable-region-focusable #so-do > .graph'] },
  overflow: { 390: ['table.targets', 'table.alerts', 'table.tasks'] },
};
const known = (check, width) => kKnown[check][width] ?? [];
// A todo test when the check has known failures at this width, a test otherwise.
const checkTest = (name, knownFailures, fn) =>
  knownFailures.length > 0 ?
    test(name, { todo: `TODO: the current page fails: ${knownFailures.join(', ')}` }, fn) :
    test(name, fn);

// The whole file within two minutes; every wait inside is bounded by 30 s (lib.mjs).
describe('the dashboard in Chromium', { timeout: 120_000 }, () => {
  let serve = null;
  let browser = null;

  before(async () => {
    serve = await startServe();
    browser = await launchBrowser();
  }, { timeout: 60_000 });

  after(async () => {
    // Both, whatever happened to the other, within 30 s (lib.mjs kills the service, and
    // playwright-core the browser, when the process exits).
    const stopped = Promise.allSettled([browser?.close(), serve?.stop()]);
    const results = await Promise.race([stopped, sleep(30_000, [], { ref: false })]);
    for (const r of results) if (r.status === 'rejected') console.error(r.reason);
  });

  for (const { lang, query, heading } of kPages) {
    for (const width of kWidths) {
      describe(`dashboard ${lang} at ${width} px`, { timeout: 60_000 }, () => {
        let opened = null;
        const page = () => opened.page;

        before(async () => {
          opened = await openPage(browser, width, kHeight);
          const response = await opened.page.goto(serve.url + query, { waitUntil: 'load' });
          assert.equal(response.status(), 200, await response.text());
        });

        after(async () => {
          await opened?.context.close();
        });

        test('is the dashboard, loading nothing from elsewhere', async () => {
          assert.equal(await page().locator('html').getAttribute('lang'), lang);
          assert.equal((await page().locator('h1').innerText()).trim(), heading);
          const elsewhere = opened.requests.filter((url) => !url.startsWith(serve.url));
          assert.deepEqual(elsewhere, [], 'requests to other origins');
          assert.deepEqual(opened.errors, [], 'script errors');
        });

        test('screenshots on screen and in print', async (t) => {
          t.diagnostic(await screenshot(page(), `dashboard-${lang}`, width));
          await page().emulateMedia({ media: 'print' });
          try {
            t.diagnostic(await screenshot(page(), `dashboard-${lang}-print`, width));
          } finally {
            await page().emulateMedia({ media: 'screen' });
          }
        });

        let axe = null;
        test('axe-core: no serious or critical violation but the known ones', async (t) => {
          axe = await runAxe(page());
          if (axe.all.length > 0) t.diagnostic(`all violations:\n${describeViolations(axe.all)}`);
          const unknown = axe.serious.filter((v) =>
            v.targets.length !== v.nodes ||
            v.targets.some((target) => !known('axe', width).includes(`${v.id} ${target}`)));
          assert.equal(unknown.length, 0, `serious or critical:\n${describeViolations(unknown)}`);
        });
        checkTest('axe-core: no serious or critical violation', known('axe', width), () => {
          assert.ok(axe, 'axe-core did not run');
          assert.equal(axe.serious.length, 0,
            `serious or critical:\n${describeViolations(axe.serious)}`);
        });

        if (width <= 390) {
          let overflow = null;
          const explain = () =>
            `document ${overflow.scrollWidth} px wide in a ${overflow.innerWidth} px window; ` +
            `sticking out:\n  ${overflow.offenders.join('\n  ')}`;
          test('nothing but the known elements makes the document scroll sideways', async () => {
            overflow = await horizontalOverflow(page());
            const unknown = overflow.offenders.filter(
              (o) => !known('overflow', width).includes(o.replace(/ \(.*$/, '')));
            assert.deepEqual(unknown, [], explain());
          });
          checkTest('the document does not scroll sideways', known('overflow', width), () => {
            assert.ok(overflow, 'not measured');
            assert.ok(overflow.scrollWidth <= overflow.innerWidth + 1, explain());
          });
        }

        test('Tab reaches every link and control, and each shows its focus', async (t) => {
          const { stops, controls } = await tabThrough(page());
          t.diagnostic(`${stops.length} tab stops, ${controls.length} visible links and ` +
            `controls:\n${stops.map((s) => `${s.description}: ${s.changes.join('; ') ||
              'no change'}`).join('\n')}`);
          assert.ok(stops.length > 0, 'Tab focused nothing');
          const reached = new Set(stops.map((s) => s.description));
          const unreached = controls.filter((c) => !reached.has(c));
          assert.deepEqual(unreached, [], 'links and controls Tab never reaches');
          const unmarked = stops
            .filter((s) => !s.focusVisible || !s.indicated || !s.visible)
            .map((s) => `${s.description}: focus-visible ${s.focusVisible}, indicated ${
              s.indicated}, visible ${s.visible}`);
          assert.deepEqual(unmarked, [], 'tab stops without a visible focus indication');
        });
      });
    }
  }
});
