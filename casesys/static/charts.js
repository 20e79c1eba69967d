// Draws every <canvas data-chart='{"type": ..., "labels": [...], "datasets": [...]}'> with the
// vendored Chart.js. The data travels in an attribute so no inline script is needed (CSP).
// A click on a bar or point follows its dataset's links[i] (or the chart's links[i]): the cases
// behind that number. "integer": true keeps the value axis on whole numbers (counts).
(function () {
  "use strict";
  var palette = ["#1f5fa8", "#c0392b", "#2e8b57", "#d68910", "#7d3c98", "#17a589", "#5d6d7e", "#a04000"];
  function valueAxis(axis, integer) {
    var scales = {};
    scales[axis] = {beginAtZero: true, ticks: integer ? {precision: 0} : {}};
    return scales;
  }
  function draw(canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    var horizontal = spec.type === "hbar";
    var datasets = spec.datasets.map(function (ds, i) {
      var color = ds.color || palette[i % palette.length];
      return Object.assign({backgroundColor: color, borderColor: color, borderWidth: 1.5, tension: 0.2}, ds);
    });
    var chart = new Chart(canvas, {
      type: horizontal ? "bar" : spec.type,
      data: {labels: spec.labels, datasets: datasets},
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        plugins: {legend: {display: datasets.length > 1}},
        scales: valueAxis(horizontal ? "x" : "y", spec.integer),
        onClick: function (_event, elements) {
          if (!elements.length) { return; }
          var element = elements[0];
          var links = spec.datasets[element.datasetIndex].links || spec.links || [];
          if (links[element.index]) {
            window.location.href = links[element.index];
          }
        }
      }
    });
    canvas.chart = chart;
  }
  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
