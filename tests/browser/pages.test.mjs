// The committee's pages driven in Debian's headless Chromium (playwright-core) against a
// real `tiendo serve` on the example data, with two runs recorded (30/6/2022 by the
// command line, 30/9/2022 by the service), so that "what changed" and the timelines have
// something to say (issue #19):
//   - every page — the dashboard, a target at a unit, a `for each` target, a province, a
//     district — in Vietnamese and in English, on a phone (390 px) and a desktop (1280 px):
//     axe-core finds no serious or critical violation, the document does not scroll
//     sideways, Tab reaches every link and control and each shows its focus, nothing is
//     loaded from elsewhere; screenshots on screen and in print go to TIENDO_ARTIFACT_DIR
//     as <page>-<lang>[-print]-<width>.png;
//   - a committee member's way through, with the keyboard alone: open the dashboard, filter
//     to the targets at risk, open one, see its chart and its timeline, go to its unit.
// Run by CTest as browser_pages (node --test); see tests/browser/lib.mjs.
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
  { name: 'dashboard', path: '', heading: { vi: 'Bảng theo dõi tiến độ', en: 'Progress dashboard' } },
  {
    name: 'target',
    path: 'rules/online_dossier_2022?unit=dong_nai',
    heading: {
      vi: 'Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến đạt 50% — Tỉnh Đồng Nai',
      en: 'Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến đạt 50% — Tỉnh Đồng Nai',
    },
  },
  { name: 'target-units', path: 'rules/digitization_district', heading: null },
  { name: 'province', path: 'units/dong_nai', heading: { vi: 'Tỉnh Đồng Nai', en: 'Tỉnh Đồng Nai' } },
  { name: 'district', path: 'units/bien_hoa', heading: { vi: 'Thành phố Biên Hòa', en: 'Thành phố Biên Hòa' } },
];
const kLanguages = ['vi', 'en'];
const kWidths = [390, 1280];
const kHeight = 900;

const withLang = (path, lang) =>
  lang === 'vi' ? path : `${path}${path.includes('?') ? '&' : '?'}lang=en`;

// Presses Tab until the focused element matches `selector` (at most `max` presses), as a
// person without a mouse does; fails saying what it reached instead.
async function tabTo(page, selector, max = 200) {
  const seen = [];
  for (let i = 0; i < max; ++i) {
    await page.keyboard.press('Tab');
    const hit = await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);
    if (hit) return;
    seen.push(await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80) ?? ''));
  }
  assert.fail(`Tab never reached ${selector}; the last stops:\n${seen.slice(-5).join('\n')}`);
}

describe('the committee\'s pages in Chromium', { timeout: 600_000 }, () => {
  let serve = null;
  let browser = null;

  before(async () => {
    serve = await startServe({ runBefore: '2022-06-30', evaluateAt: '2022-09-30' });
    browser = await launchBrowser();
  }, { timeout: 90_000 });

  after(async () => {
    const stopped = Promise.allSettled([browser?.close(), serve?.stop()]);
    const results = await Promise.race([stopped, sleep(30_000, [], { ref: false })]);
    for (const r of results) if (r.status === 'rejected') console.error(r.reason);
  });

  for (const { name, path, heading } of kPages) {
    for (const lang of kLanguages) {
      for (const width of kWidths) {
        describe(`${name} ${lang} at ${width} px`, { timeout: 90_000 }, () => {
          let opened = null;
          const page = () => opened.page;

          before(async () => {
            opened = await openPage(browser, width, kHeight);
            const response = await opened.page.goto(serve.url + withLang(path, lang),
              { waitUntil: 'load' });
            assert.equal(response.status(), 200, await response.text());
          });

          after(async () => {
            await opened?.context.close();
          });

          test('is the page, in its language, loading nothing from elsewhere', async () => {
            assert.equal(await page().locator('html').getAttribute('lang'), lang);
            if (heading) assert.equal((await page().locator('h1').innerText()).trim(), heading[lang]);
            const elsewhere = opened.requests.filter((url) => !url.startsWith(serve.url));
            assert.deepEqual(elsewhere, [], 'requests to other origins');
            assert.deepEqual(opened.errors, [], 'script errors');
          });

          test('screenshots on screen and in print', async (t) => {
            t.diagnostic(await screenshot(page(), `${name}-${lang}`, width));
            await page().emulateMedia({ media: 'print' });
            try {
              t.diagnostic(await screenshot(page(), `${name}-${lang}-print`, width));
            } finally {
              await page().emulateMedia({ media: 'screen' });
            }
          });

          test('axe-core: no serious or critical violation', async (t) => {
            const axe = await runAxe(page());
            if (axe.all.length > 0) t.diagnostic(`all violations:\n${describeViolations(axe.all)}`);
            assert.equal(axe.serious.length, 0,
              `serious or critical:\n${describeViolations(axe.serious)}`);
          });

          test('the document does not scroll sideways', async () => {
            const overflow = await horizontalOverflow(page());
            assert.ok(overflow.scrollWidth <= overflow.innerWidth + 1,
              `document ${overflow.scrollWidth} px wide in a ${overflow.innerWidth} px window; ` +
              `sticking out:\n  ${overflow.offenders.join('\n  ')}`);
          });

          test('Tab reaches every link and control, and each shows its focus', async (t) => {
            const { stops, controls } = await tabThrough(page());
            t.diagnostic(`${stops.length} tab stops, ${controls.length} visible links and controls`);
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
  }

  // The way through, keyboard only: the dashboard, filtered to at risk; a target;
  // its chart and timeline; its unit's page.
  for (const width of kWidths) {
    test(`a committee member's way through, keyboard only, at ${width} px`, { timeout: 90_000 },
      async (t) => {
        const opened = await openPage(browser, width, kHeight);
        const page = opened.page;
        try {
          await page.goto(serve.url, { waitUntil: 'load' });
          // What changed since the run of 30/6/2022 heads the page.
          const changes = await page.locator('#thay-doi .headline').innerText();
          assert.match(changes, /chỉ tiêu chuyển sang|nhiệm vụ mới|cảnh báo/, changes);

          // Filter to at risk: the state list, chosen with the arrow keys, then the button.
          await tabTo(page, '#chi-tieu select[name="state"]');
          const options = await page.locator('#chi-tieu select[name="state"] option')
            .evaluateAll((all) => all.map((o) => o.value));
          const steps = options.indexOf('at_risk');
          assert.ok(steps > 0, `no at_risk option: ${options}`);
          for (let i = 0; i < steps; ++i) await page.keyboard.press('ArrowDown');
          assert.equal(await page.locator('#chi-tieu select[name="state"]').inputValue(), 'at_risk');
          await tabTo(page, '#chi-tieu form button[type="submit"]');
          await Promise.all([page.waitForURL(/state=at_risk/), page.keyboard.press('Enter')]);
          const badges = await page.locator('#chi-tieu table.targets .badge').allInnerTexts();
          assert.ok(badges.length > 0, 'no target at risk shown');
          for (const badge of badges) assert.equal(badge.trim(), 'Có nguy cơ không đạt');

          // Open the first target at risk.
          await tabTo(page, '#chi-tieu table.targets a[href^="rules/"]');
          const href = await page.evaluate(() => document.activeElement.getAttribute('href'));
          await Promise.all([page.waitForURL(/\/rules\//), page.keyboard.press('Enter')]);
          t.diagnostic(`opened ${href}`);
          // Its chart and its timeline.
          const chart = page.locator('#bieu-do figure.chart svg[role="img"]');
          assert.equal(await chart.count(), 1, 'no chart');
          assert.ok((await chart.boundingBox()).width > 300, 'the chart is not drawn');
          const summary = await page.locator('#bieu-do svg desc').textContent();
          assert.ok(summary.length > 20, `the chart's description: ${summary}`);
          const timeline = await page.locator('#lich-su ol.timeline li').allInnerTexts();
          assert.ok(timeline.length >= 1, 'no timeline');
          assert.match(timeline.join('\n'), /Từ lần \d+ \(ngày/);
          await screenshot(page, 'way-through-target', width);

          // Up to its unit's page, by the breadcrumbs.
          await tabTo(page, 'nav.crumbs a[href^="../units/"]');
          const unit = (await page.evaluate(() => document.activeElement.textContent)).trim();
          await Promise.all([page.waitForURL(/\/units\//), page.keyboard.press('Enter')]);
          assert.equal((await page.locator('h1').innerText()).trim(), unit);
          assert.ok(await page.locator('#chi-tieu table.targets tr').count() > 1,
            'the unit has no targets listed');
          await screenshot(page, 'way-through-unit', width);
          assert.deepEqual(opened.errors, [], 'script errors');
        } finally {
          await opened.context.close();
        }
      });
  }
});
