/* Charts of the reform analyst's report and the on-time dashboard (vendored Chart.js, no build). */
(function () {
  "use strict";
  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var COLOURS = { as_is: "#94a3b8", to_be: "#2563eb", run: "#2563eb",
                  early: "#0f766e", on_time: "#22c55e", late: "#dc2626",
                  within: "#60a5fa", past_due: "#f59e0b", share: "#1e3a8a" };

  function simulationCharts() {
    var data = readJSON("sim-chart-data");
    if (!data || !window.Chart) return;
    var labels = readJSON("sim-chart-labels") || {};
    var keys = Object.keys(data.histograms);
    new window.Chart(document.getElementById("chart-cycle"), {
      type: "bar",
      data: { labels: data.bins, datasets: keys.map(function (k) {
        return { label: labels[k] || k, data: data.histograms[k], backgroundColor: COLOURS[k] + "cc" };
      }) },
      options: { maintainAspectRatio: false, animation: false, scales: {
        x: { title: { display: true, text: labels.days } }, y: { title: { display: true, text: labels.count } } } }
    });
    new window.Chart(document.getElementById("chart-util"), {
      type: "bar",
      data: { labels: data.role_labels || data.roles, datasets: keys.map(function (k) {
        return { label: labels[k] || k, backgroundColor: COLOURS[k],
                 data: data.roles.map(function (r) { var v = data.utilisation[k][r]; return v == null ? null : Math.round(v * 1000) / 10; }) };
      }) },
      options: { maintainAspectRatio: false, animation: false, indexAxis: "y",
                 scales: { x: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } } } }
    });
  }

  function ontimeCharts() {
    var data = readJSON("ontime-data");
    if (!data || !window.Chart) return;
    var labels = readJSON("ontime-labels") || {};
    var stacked = { x: { stacked: true }, y: { stacked: true, beginAtZero: true } };
    new window.Chart(document.getElementById("chart-ontime-trend"), {
      data: { labels: data.periods, datasets: [
        { type: "bar", label: labels.early, data: data.early, backgroundColor: COLOURS.early, stack: "done", yAxisID: "y" },
        { type: "bar", label: labels.on_time, data: data.on_time, backgroundColor: COLOURS.on_time, stack: "done", yAxisID: "y" },
        { type: "bar", label: labels.late, data: data.late, backgroundColor: COLOURS.late, stack: "done", yAxisID: "y" },
        { type: "line", label: labels.share, data: data.share, borderColor: COLOURS.share, backgroundColor: COLOURS.share, yAxisID: "pct", tension: 0.2 }
      ] },
      options: { maintainAspectRatio: false, animation: false, scales: {
        x: { stacked: true }, y: { stacked: true, beginAtZero: true },
        pct: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, ticks: { callback: function (v) { return v + " %"; } } } } }
    });
    new window.Chart(document.getElementById("chart-ontime-progress"), {
      type: "bar",
      data: { labels: data.periods, datasets: [
        { label: labels.within, data: data.within, backgroundColor: COLOURS.within },
        { label: labels.past_due, data: data.past_due, backgroundColor: COLOURS.past_due }
      ] },
      options: { maintainAspectRatio: false, animation: false, scales: stacked }
    });
    new window.Chart(document.getElementById("chart-ontime-procedures"), {
      type: "bar",
      data: { labels: data.rows, datasets: [
        { label: labels.early, data: data.row_early, backgroundColor: COLOURS.early },
        { label: labels.on_time, data: data.row_on_time, backgroundColor: COLOURS.on_time },
        { label: labels.late, data: data.row_late, backgroundColor: COLOURS.late }
      ] },
      options: { maintainAspectRatio: false, animation: false, indexAxis: "y", scales: stacked }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    simulationCharts();
    ontimeCharts();
  });
})();
