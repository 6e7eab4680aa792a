/* The dashboards' charts (Apache ECharts, vendored under static/vendor/echarts/).
 *
 * No inline script: the figures and their labels, already translated on the server, come
 * from the json_script "dashboard-charts"; each <div data-chart="NAME"> gets the chart
 * of that name. The table beside each chart holds the same figures (and is what prints
 * and what a screen reader reads). Colours are shades of one blue-grey with patterns
 * (decals), so the series stay apart in grey print. A withheld group (fewer than k
 * opinions) arrives as null and is drawn as a gap.
 */
(function () {
  "use strict";

  var PALETTE = ["#1f3a5f", "#8a9bb0", "#4d6a8a", "#c5ced9", "#2b2b2b", "#a3a3a3"];

  // One number format with the pages and the tables beside the charts: 11,047.
  function grouped(v) {
    return typeof v === "number" ? String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ",") : v;
  }

  function values(series) {
    return series.values.map(function (v) { return v === null ? "-" : v; });
  }

  function option(spec) {
    var horizontal = spec.kind === "hbar" || spec.kind === "stacked";
    var category = {
      type: "category",
      data: spec.categories,
      inverse: horizontal,
      axisLabel: { color: "#222", width: horizontal ? 150 : undefined, overflow: "truncate", interval: horizontal ? 0 : "auto" }
    };
    var value = { type: "value", minInterval: 1, axisLabel: { color: "#222" }, splitLine: { lineStyle: { color: "#ddd" } } };
    var many = spec.series.length > 1;
    return {
      animation: false,
      color: PALETTE,
      aria: { enabled: true, decal: { show: true } },
      textStyle: { fontFamily: "sans-serif" },
      grid: { left: 8, right: 32, top: many ? 40 : 24, bottom: 8, containLabel: true },
      legend: many ? { top: 0, type: "scroll", textStyle: { color: "#222" } } : undefined,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: grouped },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: spec.series.map(function (series) {
        return {
          name: series.name,
          type: spec.kind === "line" ? "line" : "bar",
          stack: spec.kind === "stacked" ? "all" : undefined,
          data: values(series),
          connectNulls: false,
          symbolSize: 6,
          barMaxWidth: 28,
          itemStyle: { borderColor: "#222", borderWidth: spec.kind === "line" ? 0 : 0.5 },
          label: { show: spec.kind !== "line" && spec.kind !== "stacked", position: horizontal ? "right" : "top", color: "#222",
                 formatter: function (p) { return grouped(p.value); } }
        };
      })
    };
  }

  function heightFor(spec) {
    if (spec.kind === "hbar" || spec.kind === "stacked") {
      return Math.max(160, 30 * spec.categories.length + (spec.series.length > 1 ? 40 : 20));
    }
    return 260;
  }

  function drawAll() {
    var source = document.getElementById("dashboard-charts");
    if (!source || typeof echarts === "undefined") { return []; }
    var specs = JSON.parse(source.textContent);
    var drawn = [];
    specs.forEach(function (spec) {
      var el = document.querySelector('[data-chart="' + spec.name + '"]');
      if (!el) { return; }
      el.style.height = heightFor(spec) + "px";
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option(spec));
      el.setAttribute("data-drawn", "1");
      drawn.push(chart);
    });
    return drawn;
  }

  function start() {
    var charts = drawAll();
    var resize = function () { charts.forEach(function (chart) { chart.resize(); }); };
    window.addEventListener("resize", resize);
    window.addEventListener("beforeprint", resize);
    window.addEventListener("afterprint", resize);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
