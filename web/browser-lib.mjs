// Shared by the browser tests of the HTML report (browser-test.mjs) and of the dashboard
// (dashboard-test.mjs): headless Chromium through playwright-core, a pass/fail counter, and
// the read-back of a material's charts from the ECharts instances (options, not pixels).
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Command-line `--key value` pairs; exits 2 when one of `required` is missing.
export function parseArgs(required) {
  const args = {};
  for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  for (const k of required) {
    if (!args[k]) { console.error(`missing --${k}`); process.exit(2); }
  }
  return args;
}

export function checker() {
  const c = { passed: 0, failed: 0 };
  c.check = (what, ok, detail) => {
    if (ok) { c.passed++; console.log(`ok   ${what}`); } else { c.failed++; console.log(`FAIL ${what}: ${detail}`); }
  };
  return c;
}

// Debian's Chromium ($CHROMIUM, else /usr/bin/chromium), headless, with a fresh profile
// directory; playwright-core from the web-assets directory. Returns {browser, close}.
export async function launch(assets) {
  const require = createRequire(path.join(path.resolve(assets), 'package.json'));
  const { chromium } = require('playwright-core');
  const profile = mkdtempSync(path.join(tmpdir(), 'chokepoint-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return {
    browser,
    close: async () => { await browser.close(); rmSync(profile, { recursive: true, force: true }); },
  };
}

// What the charts of a `.material` section (charts.js renderMaterial) show: the map's
// largest supplier and its share, the map title, the geometry feature of that supplier, the
// stacked area's years and latest shares, the bars per importer, the map canvas size.
export async function readCharts(box) {
  return box.evaluate((el) => {
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
}

// The checks both tests make of `got` (readCharts) against the expected importer, year,
// first year of the area chart, top supplier, top share and HHI.
export function checkCharts(c, got, want) {
  c.check('map drawn on a canvas', got.canvas && got.canvas[0] > 100 && got.canvas[1] > 100, JSON.stringify(got.canvas));
  c.check('map is for the importer', got.mapTitle.includes(want.importer) && got.mapTitle.includes(String(want.year)), got.mapTitle);
  c.check(`map's largest supplier is ${want.top_supplier}`, got.mapTop === want.top_supplier, got.mapTop);
  c.check('map share equals the top share', Math.abs(got.mapTopShare - want.top_share) < 1e-12, `${got.mapTopShare} vs ${want.top_share}`);
  c.check(`${want.top_supplier} is a country of the map geometry (ISO3 ↔ ISO numeric)`, got.feature !== null && got.features > 150, `${got.feature}, ${got.features} features`);
  c.check(`stacked area runs from ${want.first_year} to ${want.year}`, got.years[0] === want.first_year && got.years[got.years.length - 1] === want.year, `${got.years[0]}–${got.years[got.years.length - 1]}`);
  c.check('stacked area: top supplier\'s latest share equals the top share', Math.abs((got.areaLast[want.top_supplier] ?? -1) - want.top_share) < 1e-12, JSON.stringify(got.areaLast));
  c.check('stacked area: shares of the latest year add up to 1', Math.abs(got.areaSum - 1) < 1e-9, got.areaSum);
  const bar = got.bars.find((b) => b.imp === want.importer);
  c.check('bars: top share and HHI equal the expected', bar && Math.abs(bar.top - want.top_share) < 1e-12 && Math.abs(bar.hhi - want.hhi) < 1e-12, JSON.stringify(bar));
}

// Wait until every chart in `scope` (a page or a locator) has finished its animation, for the
// screenshots: ECharts' `finished` event, or at most 3 s per chart when it has already fired.
export async function settle(scope) {
  await scope.evaluate((el) => {
    const root = el instanceof Element ? el : document;
    return Promise.all([...root.querySelectorAll('.chart')].map((d) => new Promise((resolve) => {
      const chart = echarts.getInstanceByDom(d);
      if (!chart) { resolve(); return; }
      chart.on('finished', resolve);
      setTimeout(resolve, 3000);
    })));
  });
}
