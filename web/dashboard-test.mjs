// Browser test of the dashboard of `chokepoint serve`: asks the running server's API for a
// material above the top-share threshold for the importer (JPN+DEU), opens the dashboard in
// headless Chromium (Debian's, through playwright-core), selects JPN, DEU and the importer and
// that material, and checks that the charts drawn by ECharts (read from the chart instances,
// not pixels) show the top supplier, share and HHI that /api/dependency gives, over the
// store's years. Also: no request leaves the server (offline), no script error. Saves
// screenshots.
//
// usage: node web/dashboard-test.mjs --assets DIR --url http://127.0.0.1:PORT --importer JPN+DEU --shots DIR
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { checkCharts, checker, launch, parseArgs, readCharts, settle } from './browser-lib.mjs';

const args = parseArgs(['assets', 'url', 'importer', 'shots']);
const base = args.url.replace(/\/$/, '');
const getJson = async (p) => {
  const r = await fetch(base + p);
  const b = await r.json();
  if (!r.ok) throw new Error(`${p}: ${r.status} ${JSON.stringify(b)}`);
  return b;
};

// The expectation, from the API: the importer's flagged material with the largest imports.
const importers = ['JPN', 'DEU', args.importer].filter((x, i, a) => a.indexOf(x) === i);
const health = await getJson('/api/health');
const dep = await getJson('/api/dependency?importer=' + encodeURIComponent(importers.join(',')));
const t = dep.provenance.thresholds;
const row = dep.rows
  .filter((r) => r.importer === args.importer && r.material != null && r.top_share > t.top_share)
  .sort((a, b) => b.import_value_usd - a.import_value_usd)[0];
if (!row) { console.error(`no material above the threshold for ${args.importer} at ${base}`); process.exit(1); }
console.log(`expect: ${args.importer} ${row.year} ${row.material}: top supplier ${row.top_supplier} ${(row.top_share * 100).toFixed(2)} %, HHI ${row.hhi.toFixed(4)}`);

const t0 = Date.now();
const step = (what) => console.log(`     ${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);
const c = checker();
const check = c.check;
const { browser, close } = await launch(args.assets);
try {
  const page = browser.pages()[0] || (await browser.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const elsewhere = [];
  page.on('request', (r) => { if (!r.url().startsWith(base + '/') && !r.url().startsWith('data:')) elsewhere.push(r.url()); });
  const failed = [];
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
  step('browser started');
  await page.goto(base + '/');
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 30000 });
  step('page ready');
  const notice = await page.evaluate(() => document.getElementById('assets-missing')?.textContent ?? null);
  check('no web-assets notice', notice === null, notice);

  // Choose the importers and the material, and draw.
  await page.selectOption('#importers', importers);
  await page.selectOption('#material', row.material);
  const before = Number(await page.evaluate(() => document.body.dataset.chartsReady || 0));
  await page.click('#show');
  await page.waitForFunction(([n, m]) => Number(document.body.dataset.chartsReady || 0) > n && document.body.dataset.material === m,
    [before, row.material], { timeout: 30000 });
  step('charts drawn');
  const box = page.locator(`.material[data-item="${row.material.replace(/"/g, '\\"')}"]`);
  check(`one chart section, for ${row.material}`, (await page.locator('.material').count()) === 1 && (await box.count()) === 1, `${await page.locator('.material').count()} sections`);
  await box.locator('select.importer').selectOption(args.importer);
  await page.waitForFunction((imp) => {
    const el = document.querySelector('.material .chart.map');
    return el && echarts.getInstanceByDom(el).getOption().title[0].text.includes('suppliers of ' + imp + ',');
  }, args.importer, { timeout: 10000 });
  const got = await readCharts(box);
  checkCharts(c, got, { importer: args.importer, year: row.year, first_year: health.trade_years[0], top_supplier: row.top_supplier, top_share: row.top_share, hhi: row.hhi });
  const barImporters = got.bars.map((b) => b.imp).sort();
  check('bars for every chosen importer', JSON.stringify(barImporters) === JSON.stringify([...importers].sort()), JSON.stringify(barImporters));
  const cells = await page.locator('#rows tbody tr').count();
  check('the table has the rows of /api/dependency', cells === dep.rows.length, `${cells} vs ${dep.rows.length}`);
  check('page script ran without errors', errors.length === 0, errors.join(' | '));
  check('every request answered', failed.length === 0, failed.join(', '));
  check('no request beyond the server (offline)', elsewhere.length === 0, elsewhere.join(', '));

  step('charts checked');
  mkdirSync(args.shots, { recursive: true });
  await settle(box);
  await page.screenshot({ path: path.join(args.shots, 'dashboard.png'), fullPage: true });
  await box.screenshot({ path: path.join(args.shots, 'dashboard-charts.png') });
  step('screenshots taken');
  console.log(`screenshots in ${args.shots}`);
} finally {
  await close();
}
console.log(`dashboard: ${c.passed} passed, ${c.failed} failed`);
process.exit(c.failed === 0 ? 0 : 1);
