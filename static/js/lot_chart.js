// Lot page: monthly validated hours (bars) and their running total against the target (lines).
// Data comes from a json_script element; the same figures are in the table below the chart.
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("lot-chart");
    var source = document.getElementById("lot-chart-data");
    if (!canvas || !source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var datasets = [
      { type: "bar", label: "Heures validées du mois", data: data.hours, backgroundColor: "#1b4d89", order: 2 },
      {
        type: "line", label: "Cumul", data: data.cumulative, borderColor: "#a4141b", backgroundColor: "#a4141b",
        borderWidth: 2, pointRadius: 3, order: 1
      }
    ];
    if (data.target) {
      datasets.push({
        type: "line", label: "Objectif", data: data.labels.map(function () { return data.target; }),
        borderColor: "#1a5e20", borderDash: [6, 4], borderWidth: 2, pointRadius: data.labels.length === 1 ? 4 : 0, order: 0
      });
    }
    // Tooltips show the text of the table cell (rounded once on the server); the target is a whole number.
    var texts = { 0: data.hours_texts || [], 1: data.cumulative_texts || [] };
    var number = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 0 });
    new window.Chart(canvas, {
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        locale: "fr-FR",
        scales: { y: { beginAtZero: true, title: { display: true, text: "Heures" } } },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (context) {
                var text = (texts[context.datasetIndex] || [])[context.dataIndex];
                return context.dataset.label + " : " + (text !== undefined ? text : number.format(context.parsed.y)) + " h";
              }
            }
          }
        }
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
