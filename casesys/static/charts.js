// Draws every <canvas data-chart='{"type": ..., "labels": [...], "datasets": [...]}'> with the
// vendored Chart.js. The data travels in an attribute so no inline script is needed (CSP).
(function () {
  "use strict";
  var palette = ["#1f5fa8", "#c0392b", "#2e8b57", "#d68910", "#7d3c98", "#17a589", "#5d6d7e", "#a04000"];
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
        scales: {y: {beginAtZero: true}},
        onClick: function (_event, elements) {
          // A bar or point with a link drills down to the cases behind it.
          var links = spec.links || [];
          if (elements.length && links[elements[0].index]) {
            window.location.href = links[elements[0].index];
          }
        }
      }
    });
    canvas.chart = chart;
  }
  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
