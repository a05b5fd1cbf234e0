// Browser test of the HTML report: opens the page in headless Chromium (Debian's, not a
// downloaded build) through playwright-core, waits for ECharts to draw, and checks that the
// map, the stacked-area chart and the bars of a flagged JPN+DEU material show the top
// supplier and share that the CLI's JSON report gives. Saves screenshots.
//
// usage: node web/browser-test.mjs --assets DIR --report report.html --json report.json --importer JPN+DEU --shots DIR
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkCharts, checker, launch, parseArgs, readCharts, settle } from './browser-lib.mjs';

const args = parseArgs(['assets', 'report', 'json', 'importer', 'shots']);

// The expectation, from the CLI's JSON: the importer's first benchmark breach in the briefing.
const json = JSON.parse(readFileSync(args.json, 'utf8'));
const brief = json.briefing.find((b) => b.importer === args.importer);
if (!brief || brief.above_top_share.length === 0) { console.error(`no flagged material for ${args.importer} in ${args.json}`); process.exit(1); }
const hit = brief.above_top_share[0];
const row = json.rows.find((r) => r.importer === args.importer && r.year === brief.year && r.material === hit.item);
console.log(`expect: ${args.importer} ${brief.year} ${hit.item}: top supplier ${hit.top_supplier} ${(hit.top_share * 100).toFixed(2)} %, HHI ${row.hhi.toFixed(4)}`);

const c = checker();
const check = c.check;
const { browser, close } = await launch(args.assets);
try {
  const page = browser.pages()[0] || (await browser.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const requests = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url()); });
  await page.goto(pathToFileURL(path.resolve(args.report)).href);
  await page.waitForFunction(() => document.body.dataset.chartsReady !== undefined, null, { timeout: 60000 });
  check('page script ran without errors', errors.length === 0, errors.join(' | '));
  check('no network request (self-contained)', requests.length === 0, requests.join(', '));
  check('title names the importers', (await page.title()).includes(args.importer), await page.title());

  // Select the importer in the flagged material's section and read the charts back.
  const box = page.locator(`.material[data-item="${hit.item.replace(/"/g, '\\"')}"]`);
  check(`a chart section for ${hit.item}`, (await box.count()) === 1, `found ${await box.count()}`);
  await box.locator('select.importer').selectOption(args.importer);
  await page.waitForTimeout(300);
  const got = await readCharts(box);
  checkCharts(c, got, { importer: args.importer, year: brief.year, first_year: 1995, top_supplier: hit.top_supplier, top_share: hit.top_share, hhi: row.hhi });

  mkdirSync(args.shots, { recursive: true });
  await page.screenshot({ path: path.join(args.shots, 'report-top.png') });
  await box.scrollIntoViewIfNeeded();
  await settle(box);
  await box.screenshot({ path: path.join(args.shots, 'report-flagged-material.png') });
  console.log(`screenshots in ${args.shots}`);
} finally {
  await close();
}
console.log(`browser: ${c.passed} passed, ${c.failed} failed`);
process.exit(c.failed === 0 ? 0 : 1);
