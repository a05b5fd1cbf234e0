// The dashboard of `chokepoint serve`: reads the choices, asks the API for the figures
// (/api/dependency for the table and the bars, /api/history for the map and the stacked
// area) and draws them with the HTML report's chart code (charts.js, ChokepointCharts).
// It computes nothing. When a drawing is done, <body data-charts-ready> holds the number of
// drawings so far and <body data-material> the material drawn (the browser test waits on it).
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var charts = typeof echarts !== 'undefined' && typeof topojson !== 'undefined' && typeof ChokepointCharts !== 'undefined';
  // `seq` numbers the requests: only the answers to the latest one are drawn.
  var drawn = 0, box = null, last = null, seq = 0;

  var api = function (url) {
    return fetch(url).then(function (r) {
      return r.json().then(function (b) {
        if (!r.ok) { throw new Error(url.split('?')[0] + ': ' + r.status + ' ' + b.kind + ': ' + b.error); }
        return b;
      });
    });
  };
  var esc = function (s) { return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); };
  var pct = function (x) { return x == null ? '–' : (100 * x).toFixed(1) + ' %'; };
  var num = function (x, d) { return x == null ? '–' : x.toLocaleString('en', { maximumFractionDigits: d }); };
  var itemOf = function (row) { return row.material != null ? row.material : 'HS ' + row.hs6.join(','); };
  var option = function (sel, value, text, selected) {
    var o = document.createElement('option');
    o.value = value; o.textContent = text; o.selected = !!selected;
    sel.appendChild(o);
    return o;
  };
  var status = function (t) { $('status').textContent = t; };

  function addCoalition(unit, selected) {
    var group = $('coalitions');
    var exists = Array.prototype.find.call($('importers').options, function (o) { return o.value === unit; });
    if (exists) { exists.selected = true; return; }
    var o = document.createElement('option');
    o.value = unit; o.textContent = unit; o.selected = selected;
    group.appendChild(o);
  }

  function init(health, countries, groups, materials) {
    var sel = $('importers');
    var og = function (label, id) { var g = document.createElement('optgroup'); g.label = label; if (id) { g.id = id; } sel.appendChild(g); return g; };
    og('Coalitions', 'coalitions');
    addCoalition('JPN+DEU', true);
    var gg = og('Groups');
    groups.forEach(function (g) { option(gg, g.name, g.name + ' (' + g.members.length + ' members ' + (g.year || '') + ')'); });
    var cg = og('Countries');
    countries.forEach(function (c) { option(cg, c.iso3, c.iso3 + ' — ' + c.name, c.iso3 === 'JPN' || c.iso3 === 'DEU'); });
    materials.forEach(function (m) { option($('material'), m.name, m.name + (m.symbol ? ' (' + m.symbol + ')' : '')); });
    var years = health.trade_years || [1995, 2022];
    ['year-from', 'year-to'].forEach(function (id) { $(id).min = years[0]; $(id).max = years[1]; });
    $('year-from').value = years[0];
    $('year-to').value = years[1];
    $('store').textContent = 'Store of ' + health.created + ' · ' + health.sources.map(function (s) { return s.name + ' ' + s.release; }).join(' · ') +
      ' · trade ' + years[0] + '–' + years[1] + ' · API: ';
    var a = document.createElement('a'); a.href = '/api/openapi.json'; a.textContent = '/api/openapi.json';
    $('store').appendChild(a);
    $('add-coalition').addEventListener('click', function () {
      var unit = $('coalition').value.trim().toUpperCase().replace(/\s+/g, '');
      if (unit) { addCoalition(unit, true); $('coalition').value = ''; }
    });
    $('controls').addEventListener('submit', function (e) { e.preventDefault(); show(); });
  }

  function choices() {
    var importers = Array.prototype.filter.call($('importers').options, function (o) { return o.selected; }).map(function (o) { return o.value; });
    return {
      importers: importers,
      material: $('material').value,
      from: $('year-from').value,
      to: $('year-to').value,
      watch: $('watch').value.replace(/\s+/g, ''),
      basis: $('basis').value
    };
  }

  var query = function (pairs) {
    var q = new URLSearchParams();
    pairs.forEach(function (p) { if (p[1] !== '' && p[1] != null) { q.append(p[0], p[1]); } });
    return q.toString();
  };

  // The table and, for the chosen material (else the flagged one with the largest imports),
  // the charts.
  function show() {
    var c = choices();
    $('error').textContent = '';
    if (!c.importers.length) { $('error').textContent = 'Choose at least one importer.'; return Promise.resolve(); }
    var my = ++seq;
    status('computing the table of ' + c.importers.join(', ') + ', ' + c.to + ' …');
    var dq = query([['importer', c.importers.join(',')], ['years', c.to], ['watch', c.watch], ['basis', c.basis]]);
    return api('/api/dependency?' + dq).then(function (dep) {
      if (my !== seq) { return; }
      last = { dep: dep, c: c };
      table(dep);
      var flagged = {};
      dep.rows.forEach(function (r) { if (r.top_share > dep.provenance.thresholds.top_share) { flagged[itemOf(r)] = true; } });
      Array.prototype.forEach.call($('material').options, function (o) { o.textContent = (flagged[o.value] ? '⚑ ' : '') + o.textContent.replace(/^⚑ /, ''); });
      // No material asked for: the one chosen while the table was computed, else the
      // flagged one with the largest imports (never overriding a choice made meanwhile).
      if (!c.material) { c.material = $('material').value; }
      if (!c.material) {
        var top = dep.rows.filter(function (r) { return flagged[itemOf(r)] && r.material != null; })
          .sort(function (a, b) { return b.import_value_usd - a.import_value_usd; })[0];
        if (!top) { status('no material above the top-share threshold; choose one'); return; }
        $('material').value = top.material;
        c.material = top.material;
      }
      return draw(c, dep, my);
    }).catch(function (e) { if (my === seq) { status(''); $('error').textContent = e.message; } });
  }

  function draw(c, dep, my) {
    if (!charts) { status('table only: the chart library is not installed on the server'); return Promise.resolve(); }
    status('computing the supplier shares of ' + c.material + ', ' + c.from + '–' + c.to + ' …');
    var hq = query([['importer', c.importers.join(',')], ['material', c.material], ['years', c.from + '..' + c.to], ['basis', c.basis]]);
    return api('/api/history?' + hq).then(function (h) {
      if (my !== seq) { return; }
      var withData = h.histories.filter(function (x) { return x.chart; });
      if (!withData.length) { throw new Error('none of ' + c.importers.join(', ') + ' imported ' + c.material + ' in ' + c.from + '–' + c.to); }
      var item = withData[0].item;
      var t = dep.provenance.thresholds;
      // Bars in the order of the chosen importers (the table's rows are ranked by HHI).
      var order = h.histories.map(function (x) { return x.importer; });
      var rows = dep.rows.filter(function (r) { return itemOf(r) === item; })
        .sort(function (a, b) { return order.indexOf(a.importer) - order.indexOf(b.importer); });
      var m = {
        item: item,
        hs6: withData[0].hs6,
        bars: rows.map(function (r) { return { importer: r.importer, year: r.year, top_supplier: r.top_supplier, top_share: r.top_share, hhi: r.hhi }; }),
        by_importer: {}
      };
      withData.forEach(function (x) { m.by_importer[x.importer] = x.chart; });
      // First shown: the first importer above the threshold, else the first with imports.
      var above = rows.find(function (r) { return r.top_share > t.top_share && m.by_importer[r.importer]; });
      m.default = above ? above.importer : withData[0].importer;
      if (box) { box.dispose(); box.remove(); }
      box = ChokepointCharts.renderMaterial($('materials'), m, h.histories.map(function (x) { return x.importer; }), t);
      drawn += 1;
      document.body.dataset.material = item;
      document.body.dataset.chartsReady = String(drawn);
      status('');
    });
  }

  function table(dep) {
    var watch = dep.provenance.watch;
    $('table-title').textContent = '— ' + dep.provenance.years.join(', ');
    var head = ['importer', 'year', 'material / HS6', 'imports, USD', 'top supplier', 'top share', 'top-3', 'HHI']
      .concat(watch.map(function (w) { return w + ' share'; }), ['WGI risk', 'production HHI', 'top share Δ10y', 'flags']);
    var h = '<thead><tr>' + head.map(function (x, i) { return '<th' + (i >= 3 && i !== 4 && i !== head.length - 1 ? ' class="n"' : '') + '>' + esc(x) + '</th>'; }).join('') + '</tr></thead><tbody>';
    dep.rows.forEach(function (r) {
      var n = function (v) { return '<td class="n">' + v + '</td>'; };
      h += '<tr' + (r.flags.length ? ' class="flag"' : '') + '><td>' + esc(r.importer) + '</td><td>' + r.year + '</td><td class="item" data-item="' + esc(itemOf(r)) + '">' + esc(itemOf(r)) + '</td>' +
        n(num(r.import_value_usd, 0)) + '<td>' + esc(r.top_supplier) + '</td>' + n(pct(r.top_share)) + n(pct(r.top3_share)) + n(num(r.hhi, 3)) +
        watch.map(function (w) { return n(pct(r.watch_shares[w])); }).join('') +
        n(num(r.import_risk_wgi, 3)) + n(num(r.production_hhi, 3)) +
        n(r.top_share_change_10y == null ? '–' : (r.top_share_change_10y * 100).toFixed(1) + ' pp') + '<td>' + esc(r.flags.join(' ')) + '</td></tr>';
    });
    $('rows').innerHTML = h + '</tbody>';
    $('notes').innerHTML = '';
    dep.notices.forEach(function (t) { var li = document.createElement('li'); li.textContent = t; $('notes').appendChild(li); });
  }

  $('rows').addEventListener('click', function (e) {
    var td = e.target.closest('td.item');
    if (!td || !last || td.dataset.item.indexOf('HS ') === 0) { return; }
    $('material').value = td.dataset.item;
    var c = Object.assign({}, last.c, { material: td.dataset.item });
    var my = ++seq;
    draw(c, last.dep, my).catch(function (err) { if (my === seq) { status(''); $('error').textContent = err.message; } });
  });

  Promise.all([api('/api/health'), api('/api/countries'), api('/api/groups'), api('/api/materials')]).then(function (r) {
    if (charts) {
      return Promise.all([api('/assets/countries-110m.json'), api('/assets/iso-codes.json')]).then(function (geo) {
        ChokepointCharts.registerWorld(geo[0], geo[1]);
        return r;
      });
    }
    return r;
  }).then(function (r) {
    init(r[0], r[1], r[2], r[3]);
    document.body.dataset.ready = 'true';
    return show();
  }).catch(function (e) { $('error').textContent = e.message; });
})();
