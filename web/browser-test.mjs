// Browser test of the HTML report: opens the page in headless Chromium (Debian's, not a
// downloaded build) through playwright-core, waits for ECharts to draw, and checks that the
// map, the stacked-area chart and the bars of a flagged JPN+DEU material show the top
// supplier and share that the CLI's JSON report gives. Saves screenshots.
//
// usage: node web/browser-test.mjs --assets DIR --report report.html --json report.json --importer JPN+DEU --shots DIR
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const k of ['assets', 'report', 'json', 'importer', 'shots']) {
  if (!args[k]) { console.error(`missing --${k}`); process.exit(2); }
}
const require = createRequire(path.join(path.resolve(args.assets), 'package.json'));
const { chromium } = require('playwright-core');

// The expectation, from the CLI's JSON: the importer's first benchmark breach in the briefing.
const json = JSON.parse(readFileSync(args.json, 'utf8'));
const brief = json.briefing.find((b) => b.importer === args.importer);
if (!brief || brief.above_top_share.length === 0) { console.error(`no flagged material for ${args.importer} in ${args.json}`); process.exit(1); }
const hit = brief.above_top_share[0];
const row = json.rows.find((r) => r.importer === args.importer && r.year === brief.year && r.material === hit.item);
console.log(`expect: ${args.importer} ${brief.year} ${hit.item}: top supplier ${hit.top_supplier} ${(hit.top_share * 100).toFixed(2)} %, HHI ${row.hhi.toFixed(4)}`);

let passed = 0, failed = 0;
const check = (what, ok, detail) => {
  if (ok) { passed++; console.log(`ok   ${what}`); } else { failed++; console.log(`FAIL ${what}: ${detail}`); }
};

const profile = mkdtempSync(path.join(tmpdir(), 'chokepoint-chromium-'));
// A fresh profile directory (playwright passes it as --user-data-dir).
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 1000 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
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
  const got = await box.evaluate((el) => {
    const opt = (cls) => echarts.getInstanceByDom(el.querySelector('.chart.' + cls)).getOption();
    const map = opt('map'), area = opt('area'), bars = opt('bars');
    const data = map.series[0].data;
    const top = data.reduce((a, d) => (d.value > a.value ? d : a), { value: -1 });
    const world = echarts.getMap('world');
    const feature = world.geoJSON.features.find((f) => f.properties.iso3 === top.name);
    const areaLast = {};
    area.series.forEach((s) => { areaLast[s.name] = s.data[s.data.length - 1]; });
    const areaSum = area.series.reduce((a, s) => a + s.data[s.data.length - 1], 0);
    const canvas = el.querySelector('.chart.map canvas');
    return {
      mapTop: top.name, mapTopShare: top.value, mapTitle: map.title[0].text, feature: feature ? feature.properties.name : null,
      features: world.geoJSON.features.length, areaLast, areaSum, years: area.xAxis[0].data,
      bars: bars.xAxis[0].data.map((imp, i) => ({ imp, top: bars.series[0].data[i], hhi: bars.series[1].data[i] })),
      canvas: canvas ? [canvas.width, canvas.height] : null,
    };
  });
  check('map drawn on a canvas', got.canvas && got.canvas[0] > 100 && got.canvas[1] > 100, JSON.stringify(got.canvas));
  check('map is for the importer', got.mapTitle.includes(args.importer) && got.mapTitle.includes(String(brief.year)), got.mapTitle);
  check(`map's largest supplier is ${hit.top_supplier}`, got.mapTop === hit.top_supplier, got.mapTop);
  check('map share equals the CLI top share', Math.abs(got.mapTopShare - hit.top_share) < 1e-12, `${got.mapTopShare} vs ${hit.top_share}`);
  check(`${hit.top_supplier} is a country of the map geometry (ISO3 ↔ ISO numeric)`, got.feature !== null && got.features > 150, `${got.feature}, ${got.features} features`);
  check('stacked area runs from 1995 to the report year', got.years[0] === 1995 && got.years[got.years.length - 1] === brief.year, `${got.years[0]}–${got.years[got.years.length - 1]}`);
  check('stacked area: top supplier\'s latest share equals the CLI\'s', Math.abs((got.areaLast[hit.top_supplier] ?? -1) - hit.top_share) < 1e-12, JSON.stringify(got.areaLast));
  check('stacked area: shares of the latest year add up to 1', Math.abs(got.areaSum - 1) < 1e-9, got.areaSum);
  const bar = got.bars.find((b) => b.imp === args.importer);
  check('bars: top share and HHI equal the CLI\'s', bar && Math.abs(bar.top - hit.top_share) < 1e-12 && Math.abs(bar.hhi - row.hhi) < 1e-12, JSON.stringify(bar));

  mkdirSync(args.shots, { recursive: true });
  await page.screenshot({ path: path.join(args.shots, 'report-top.png') });
  await box.scrollIntoViewIfNeeded();
  await box.screenshot({ path: path.join(args.shots, 'report-flagged-material.png') });
  console.log(`screenshots in ${args.shots}`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
