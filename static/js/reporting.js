// Draw the reporting charts with the vendored Chart.js. Each <canvas data-chart="ID"> reads its figures from
// the JSON script element ID (Django's json_script); the same figures are in the table that follows it.
(function () {
  "use strict";
  var MAX_BARS = 15;
  var COMPACT = new Intl.NumberFormat("fr-FR", { notation: "compact", maximumFractionDigits: 1 });

  var NARROW = 600; // px: under this width, long labels of horizontal bars go on several lines
  var LINE = 16; // characters per line of a wrapped label

  // A long label as several lines (Chart.js draws an array as lines), so it is not cut on a phone.
  function wrap(label) {
    if (typeof label !== "string" || label.length <= LINE) return label;
    var lines = [];
    var line = "";
    label.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > LINE) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    });
    if (line) lines.push(line);
    return lines;
  }

  function isNarrow(canvas) {
    return canvas.dataset.orientation !== "vertical" && canvas.parentElement && canvas.parentElement.clientWidth < NARROW;
  }

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof window.Chart === "undefined") return;
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var labels = data.labels;
    // One series, or two side by side (the year and the previous one) when the table compares them; each value
    // comes with the text of its table cell, rounded once on the server.
    var series = data.series || [{ label: data.label, values: data.values, texts: data.texts || [] }];
    var colours = ["#2b5797", "#9aa9c4"];
    var isMonthly = canvas.dataset.orientation === "vertical";
    var cut = !isMonthly && labels.length > MAX_BARS;
    if (cut) labels = labels.slice(0, MAX_BARS);
    if (isNarrow(canvas)) labels = labels.map(wrap);
    var datasets = series.map(function (item, index) {
      return { label: item.label, data: cut ? item.values.slice(0, MAX_BARS) : item.values, texts: item.texts || [], backgroundColor: colours[index % colours.length] };
    });
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        locale: "fr-FR",
        indexAxis: isMonthly ? "x" : "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: series.length > 1 },
          tooltip: {
            callbacks: {
              label: function (context) {
                // The text of the table cell, rounded once on the server (never re-rounded here).
                return context.dataset.label + " : " + context.dataset.texts[context.dataIndex];
              }
            }
          }
        },
        // Every bar keeps its label (at most MAX_BARS of them): a skipped label would leave a bar unnamed. On a
        // phone the value axis of horizontal bars keeps 4 graduations written short (« 400 k »), so that they fit
        // side by side; the exact figures are in the tooltips and the table below the chart.
        scales: {
          x: {
            ticks: isNarrow(canvas)
              ? { autoSkip: true, maxTicksLimit: 4, callback: function (value) { return COMPACT.format(value); } }
              : { autoSkip: true }
          },
          y: { ticks: { autoSkip: isMonthly } }
        }
      }
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var box = canvas.parentElement;
      if (box && !box.style.height) {
        var count = JSON.parse(document.getElementById(canvas.dataset.chart).textContent).labels.length;
        var data = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
        var perBar = (data.series && canvas.dataset.orientation !== "vertical") || isNarrow(canvas) ? 48 : 26;
        box.style.height = Math.max(200, Math.min(count, MAX_BARS) * perBar + 60) + "px";
      }
      draw(canvas);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.body && document.body.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
