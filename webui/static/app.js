/* motcua officer and designer pages: due-time countdowns, BPMN diagrams with markers, the modeler,
   and dashboard charts. Plain JavaScript over the vendored libraries; no build step. */
(function () {
  "use strict";
  var vi = document.documentElement.lang !== "en";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // ------------------------------------------------------------------ countdowns
  function humanize(ms) {
    var minutes = Math.round(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    var parts = [];
    if (days) parts.push(days + (vi ? " ngày" : "d"));
    if (hours) parts.push(hours + (vi ? " giờ" : "h"));
    if (!days && (mins || !hours)) parts.push(mins + (vi ? " phút" : "m"));
    return parts.join(" ");
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      if (el.dataset.done === "1") return;
      var left = new Date(el.dataset.due).getTime() - now;
      el.classList.remove("due-ok", "due-soon", "due-overdue");
      if (left < 0) {
        el.classList.add("due-overdue");
        el.textContent = (vi ? "Quá hạn " : "Overdue by ") + humanize(left);
      } else {
        el.classList.add(left < 3600000 ? "due-soon" : "due-ok");
        el.textContent = (vi ? "Còn " : "") + humanize(left) + (vi ? "" : " left");
      }
    });
  }

  // ------------------------------------------------------------------ diagrams
  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function showDiagram(container) {
    var xml = readJSON(container.id + "-xml");
    if (!xml || !window.BpmnJS) return;
    var marks = JSON.parse(container.dataset.marks || "{}");
    var viewer = new window.BpmnJS({ container: container });
    viewer.importXML(xml).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport", "auto");
      Object.keys(marks).forEach(function (kind) {
        (marks[kind] || []).forEach(function (id) {
          if (registry.get(id)) canvas.addMarker(id, "hl-" + kind);
        });
      });
      container.dataset.rendered = "1";
    }).catch(function (err) {
      container.dataset.rendered = "failed";
      container.innerHTML = '<p class="muted pad">' +
        (vi ? "Không vẽ được sơ đồ: " : "The diagram cannot be drawn: ") +
        String(err && err.message || err).replace(/</g, "&lt;") + "</p>";
    });
  }

  // ------------------------------------------------------------------ modeler
  function showModeler(container) {
    var xml = readJSON("modeler-xml");
    var button = document.getElementById("save-model");
    var out = document.getElementById("save-result");
    var modeler = new window.BpmnJS({ container: container });
    container.__modeler = modeler;
    modeler.importXML(xml).then(function () {
      modeler.get("canvas").zoom("fit-viewport", "auto");
      container.dataset.rendered = "1";
    });
    button.addEventListener("click", function () {
      button.disabled = true;
      modeler.saveXML({ format: true }).then(function (result) {
        var body = new URLSearchParams();
        body.set("xml", result.xml);
        return fetch(button.dataset.url, {
          method: "POST", body: body, credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
        });
      }).then(function (response) { return response.json(); }).then(function (answer) {
        if (answer.ok) { window.location = answer.url; return; }
        var canvas = modeler.get("canvas"), registry = modeler.get("elementRegistry");
        var items = (answer.diagnostics || []).map(function (d) {
          if (d.element_id && registry.get(d.element_id)) canvas.addMarker(d.element_id, "hl-error");
          return "<li><code>" + (d.element_id || "") + "</code> " + String(d.message).replace(/</g, "&lt;") + "</li>";
        });
        out.innerHTML = '<div class="flash flash-error">' + String(answer.message).replace(/</g, "&lt;") +
          "<ul>" + items.join("") + "</ul></div>";
      }).catch(function (err) {
        out.innerHTML = '<div class="flash flash-error">' + String(err).replace(/</g, "&lt;") + "</div>";
      }).finally(function () { button.disabled = false; });
    });
  }

  // ------------------------------------------------------------------ charts
  var PALETTE = ["#1d4ed8", "#0f766e", "#b45309", "#7c3aed", "#be123c", "#0369a1", "#4d7c0f", "#a21caf"];
  var STATE_COLOURS = { running: "#1d4ed8", error: "#dc2626", completed: "#16a34a", cancelled: "#6b7280" };

  function showCharts() {
    var data = readJSON("chart-data");
    if (!data || !window.Chart) return;
    var labels = readJSON("chart-labels") || {};
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    new window.Chart(document.getElementById("chart-stages"), {
      type: "bar",
      data: {
        labels: data.stages,
        datasets: data.procedures.map(function (p, i) {
          return { label: p, backgroundColor: PALETTE[i % PALETTE.length],
                   data: data.open_by_stage.map(function (row) { return row[i]; }) };
        })
      },
      options: { responsive: true, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });
    new window.Chart(document.getElementById("chart-states"), {
      type: "doughnut",
      data: {
        labels: data.run_states.map(function (s) { return labels[s] || s; }),
        datasets: [{ data: data.dossiers_by_state.map(function (row) { return row.reduce(function (a, b) { return a + b; }, 0); }),
                     backgroundColor: data.run_states.map(function (s) { return STATE_COLOURS[s]; }) }]
      },
      options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "right" } } }
    });
    new window.Chart(document.getElementById("chart-overdue"), {
      type: "bar",
      data: { labels: data.stages, datasets: [{ label: labels.overdue || "overdue", data: data.overdue_by_stage, backgroundColor: "#dc2626" }] },
      options: { responsive: true, maintainAspectRatio: false, indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 30000);
    document.body.addEventListener("htmx:afterSwap", tick);
    document.querySelectorAll(".diagram[id]:not(.modeler)").forEach(showDiagram);
    var modeler = document.getElementById("modeler");
    if (modeler && window.BpmnJS) showModeler(modeler);
    showCharts();
  });
})();
