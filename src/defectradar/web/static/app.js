// defectradar dashboard: CSRF header for htmx, charts drawn by vega-embed, PNG/SVG/CSV downloads.
// No inline scripts anywhere (the Content-Security-Policy forbids them): everything hangs off data- attributes.
(function () {
  "use strict";
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  var views = new WeakMap();
  function drawCharts(root) {
    if (typeof window.vegaEmbed !== "function") return;
    root.querySelectorAll(".chart[data-spec]:not([data-drawn])").forEach(function (el) {
      var source = document.getElementById(el.dataset.spec);
      if (!source) return;
      el.setAttribute("data-drawn", "1");
      var spec = JSON.parse(source.textContent);
      // Fit a fixed-width chart into its card (a phone, a three-column grid); axes and legend need ~90 px.
      var room = el.clientWidth - 90;
      if (typeof spec.width === "number" && room > 150 && spec.width > room) spec.width = room;
      window.vegaEmbed(el, spec, { actions: false, renderer: "svg" }).then(function (result) {
        views.set(el, result.view);
        el.setAttribute("data-ready", "1");
      }).catch(function (err) { el.textContent = "chart failed: " + err; });
    });
  }
  function download(name, url) {
    var a = document.createElement("a");
    a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
  }
  function tableCsv(table) {
    var rows = [];
    table.querySelectorAll("tr").forEach(function (tr) {
      var cells = [];
      tr.querySelectorAll("th,td").forEach(function (cell) {
        var text = (cell.dataset.value !== undefined ? cell.dataset.value : cell.innerText).trim();
        cells.push(/[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text);
      });
      rows.push(cells.join(","));
    });
    return "\ufeff" + rows.join("\n") + "\n";
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-download]");
    if (!button) return;
    var kind = button.dataset.download, target = document.getElementById(button.dataset.target);
    var name = (button.dataset.name || "defectradar") + "." + kind;
    if (kind === "csv" && target) {
      var blob = new Blob([tableCsv(target)], { type: "text/csv;charset=utf-8" });
      download(name, URL.createObjectURL(blob));
    } else if (target && views.get(target)) {
      views.get(target).toImageURL(kind, kind === "png" ? 2 : 1).then(function (url) { download(name, url); });
    }
  });
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });
  window.addEventListener("load", function () { drawCharts(document); });
})();
