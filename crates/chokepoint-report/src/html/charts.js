// chokepoint charts: the drawing code shared by the HTML report (embedded data, report.js)
// and the dashboard of `chokepoint serve` (data fetched from /api/dependency and
// /api/history, dashboard.js). It turns chokepoint's figures into Apache ECharts options;
// it computes nothing. The world map is Natural Earth (world-atlas, TopoJSON) converted with
// topojson-client; its ISO 3166-1 numeric ids are matched to the data's ISO3 codes with the
// i18n-iso-countries table.
//
// A material `m` is {item, hs6: [HS6], default: importer shown first, bars: [{importer, year,
// top_supplier, top_share, hhi}], by_importer: {importer: {year, import_value_usd,
// map: [[ISO3, share]], area: {years, series: [{name, data}]}}}} (shares 0–1).
var ChokepointCharts = (function () {
  'use strict';
  var nameOf = {};

  // Register the world map with ECharts from the TopoJSON topology and the ISO code table.
  function registerWorld(topo, codes) {
    var iso3OfNumeric = {};
    codes.forEach(function (c) { iso3OfNumeric[c[2]] = c[1]; });
    var world = topojson.feature(topo, topo.objects.countries);
    // Antarctica (ISO 010) imports and exports nothing and would take a fifth of the map.
    world.features = world.features.filter(function (f) { return String(f.id) !== '010'; });
    // ECharts draws straight lines between longitudes: a ring that crosses the antimeridian
    // (Russia's Chukotka, Fiji) would streak across the map. Such rings are moved east of it.
    var unwrap = function (ring) {
      var lons = ring.map(function (p) { return p[0]; });
      if (Math.max.apply(null, lons) - Math.min.apply(null, lons) > 180) {
        ring.forEach(function (p) { if (p[0] < 0) { p[0] += 360; } });
      }
    };
    world.features.forEach(function (f) {
      var g = f.geometry;
      if (!g) { return; }
      if (g.type === 'Polygon') { g.coordinates.forEach(unwrap); }
      if (g.type === 'MultiPolygon') { g.coordinates.forEach(function (poly) { poly.forEach(unwrap); }); }
    });
    world.features.forEach(function (f) {
      var iso3 = f.id != null ? iso3OfNumeric[String(f.id).padStart(3, '0')] : undefined;
      f.properties.iso3 = iso3 || ('?' + (f.properties.name || ''));
      if (iso3) { nameOf[iso3] = f.properties.name; }
    });
    echarts.registerMap('world', world);
  }

  var pct = function (v) { return (v * 100).toFixed(1) + ' %'; };
  var label = function (iso3) { return nameOf[iso3] ? iso3 + ' ' + nameOf[iso3] : iso3; };
  var palette = ['#c23531', '#2f4554', '#61a0a8', '#d48265', '#91c7ae', '#749f83', '#ca8622', '#bda29a', '#6e7074', '#546570'];

  function mapOption(m, imp) {
    var d = m.by_importer[imp];
    var max = d.map.reduce(function (a, p) { return Math.max(a, p[1]); }, 0);
    return {
      title: { text: m.item + ' — suppliers of ' + imp + ', ' + d.year, textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'item', formatter: function (p) { return label(p.name) + ': ' + (p.value > 0 ? pct(p.value) : 'no supply'); } },
      visualMap: { min: 0, max: max || 1, text: [pct(max || 1), '0 %'], calculable: false, inRange: { color: ['#fde8d8', '#f4a582', '#d6604d', '#67001f'] }, left: 'left', bottom: 10, itemHeight: 80 },
      series: [{
        type: 'map', map: 'world', nameProperty: 'iso3', roam: true, emphasis: { label: { show: false } },
        itemStyle: { areaColor: '#eceff3', borderColor: '#aab2bd', borderWidth: 0.4 },
        data: d.map.map(function (p) { return { name: p[0], value: p[1] }; })
      }]
    };
  }

  function areaOption(m, imp) {
    var d = m.by_importer[imp];
    return {
      title: { text: 'Supplier shares of ' + imp + ', ' + d.area.years[0] + '–' + d.year, textStyle: { fontSize: 13 } },
      color: palette,
      tooltip: { trigger: 'axis', valueFormatter: pct },
      legend: { type: 'scroll', bottom: 0, formatter: label },
      grid: { left: 45, right: 15, top: 35, bottom: 50 },
      xAxis: { type: 'category', boundaryGap: false, data: d.area.years },
      yAxis: { type: 'value', min: 0, max: 1, axisLabel: { formatter: function (v) { return Math.round(v * 100) + ' %'; } } },
      series: d.area.series.map(function (s) {
        return { name: s.name, type: 'line', stack: 'shares', areaStyle: {}, symbol: 'none', lineStyle: { width: 0.5 }, data: s.data };
      })
    };
  }

  function barsOption(m, t) {
    var line = function (v, name) { return { silent: true, symbol: 'none', lineStyle: { type: 'dashed' }, label: { position: 'insideEndTop', formatter: name }, data: [{ yAxis: v }] }; };
    return {
      title: { text: 'Top share and HHI by importer', textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'axis', formatter: function (ps) {
        var b = m.bars[ps[0].dataIndex];
        return b.importer + ' ' + b.year + '<br>top supplier ' + label(b.top_supplier) + ': ' + pct(b.top_share) + '<br>HHI ' + b.hhi.toFixed(3);
      } },
      legend: { bottom: 0 },
      grid: { left: 45, right: 15, top: 35, bottom: 50 },
      xAxis: { type: 'category', data: m.bars.map(function (b) { return b.importer; }) },
      yAxis: { type: 'value', min: 0, max: 1 },
      series: [
        { name: 'top share', type: 'bar', color: '#c23531', data: m.bars.map(function (b) { return b.top_share; }), markLine: line(t.top_share, 'threshold ' + t.top_share) },
        { name: 'HHI', type: 'bar', color: '#2f4554', data: m.bars.map(function (b) { return b.hhi; }), markLine: line(t.hhi, 'HHI ' + t.hhi) }
      ]
    };
  }

  // Append to `root` a section for material `m`: its heading, a choice among `importers`
  // (those with data), the map and stacked-area chart of the chosen importer and the bars of
  // all (dashed lines: thresholds `t` = {top_share, hhi}). Returns the section element.
  function renderMaterial(root, m, importers, t) {
    var box = document.createElement('div');
    box.className = 'material';
    box.dataset.item = m.item;
    var h = document.createElement('h3');
    h.textContent = m.item + ' ';
    var hs = document.createElement('span');
    hs.className = 'hs';
    hs.textContent = 'HS6 ' + m.hs6.join(', ');
    h.appendChild(hs);
    box.appendChild(h);
    var shown = importers.filter(function (imp) { return m.by_importer[imp]; });
    var lab = document.createElement('label');
    lab.textContent = 'Importer: ';
    var sel = document.createElement('select');
    sel.className = 'importer';
    shown.forEach(function (imp) {
      var o = document.createElement('option');
      o.value = imp; o.textContent = imp;
      if (imp === m.default) { o.selected = true; }
      sel.appendChild(o);
    });
    lab.appendChild(sel);
    box.appendChild(lab);
    var row = document.createElement('div');
    row.className = 'row';
    var mk = function (cls) { var d = document.createElement('div'); d.className = 'chart ' + cls; row.appendChild(d); return d; };
    var mapDiv = mk('map'), areaDiv = mk('area'), barDiv = mk('bars');
    box.appendChild(row);
    root.appendChild(box);
    var mapChart = echarts.init(mapDiv), areaChart = echarts.init(areaDiv), barChart = echarts.init(barDiv);
    var show = function () {
      mapChart.setOption(mapOption(m, sel.value), true);
      areaChart.setOption(areaOption(m, sel.value), true);
    };
    sel.addEventListener('change', show);
    if (shown.length) { show(); }
    barChart.setOption(barsOption(m, t));
    var resize = function () { mapChart.resize(); areaChart.resize(); barChart.resize(); };
    window.addEventListener('resize', resize);
    // Disposing frees the charts when a page replaces the section (the dashboard).
    box.dispose = function () {
      window.removeEventListener('resize', resize);
      mapChart.dispose(); areaChart.dispose(); barChart.dispose();
    };
    return box;
  }

  return { registerWorld: registerWorld, renderMaterial: renderMaterial, label: label, pct: pct };
})();
