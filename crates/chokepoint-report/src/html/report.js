// chokepoint HTML report: reads the embedded data (#chokepoint-data, #world-atlas,
// #iso-codes) and draws one section per flagged material with the shared chart code
// (charts.js, ChokepointCharts). The figures are computed by chokepoint.
(function () {
  'use strict';
  var json = function (id) { return JSON.parse(document.getElementById(id).textContent); };
  var data = json('chokepoint-data');
  ChokepointCharts.registerWorld(json('world-atlas'), json('iso-codes'));
  var root = document.getElementById('materials');
  data.materials.forEach(function (m, i) {
    var box = ChokepointCharts.renderMaterial(root, m, data.importers, data.thresholds);
    box.id = 'material-' + i;
  });
  document.body.dataset.chartsReady = String(data.materials.length);
})();
