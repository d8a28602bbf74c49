// Draw the reporting charts with the vendored Chart.js. Each <canvas data-chart="ID"> reads its figures from
// the JSON script element ID (Django's json_script); the same figures are in the table that follows it.
(function () {
  "use strict";
  var MAX_BARS = 15;

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof window.Chart === "undefined") return;
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var labels = data.labels, values = data.values, texts = data.texts || [];
    var isMonthly = canvas.dataset.orientation === "vertical";
    if (!isMonthly && labels.length > MAX_BARS) {
      labels = labels.slice(0, MAX_BARS);
      values = values.slice(0, MAX_BARS);
    }
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: [{ label: data.label, data: values, backgroundColor: "#2b5797" }] },
      options: {
        locale: "fr-FR",
        indexAxis: isMonthly ? "x" : "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (context) {
                // The text of the table cell, rounded once on the server (never re-rounded here).
                return context.dataset.label + " : " + texts[context.dataIndex];
              }
            }
          }
        },
        scales: { x: { ticks: { autoSkip: true } } }
      }
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var box = canvas.parentElement;
      if (box && !box.style.height) {
        var count = JSON.parse(document.getElementById(canvas.dataset.chart).textContent).labels.length;
        box.style.height = Math.max(200, Math.min(count, MAX_BARS) * 26 + 60) + "px";
      }
      draw(canvas);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.body && document.body.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
