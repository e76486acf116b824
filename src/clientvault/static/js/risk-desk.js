// Risk desk charts (risk/portfolio.html, risk/report.html): data from a JSON script tag, no inline script (CSP).
(function () {
  "use strict";
  function bars(id, part, colours) {
    var holder = document.getElementById(id);
    if (!holder || !part) { return; }
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 110, right: 24, top: 8, bottom: 24 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: part.labels, inverse: true },
      series: [{ type: "bar", data: part.values.map(function (v, i) { return { value: v, itemStyle: { color: colours[i] } }; }) }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function lines(id, part) {
    var holder = document.getElementById(id);
    if (!holder || !part || !part.months.length) { return; }
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 48, right: 16, top: 16, bottom: 40 },
      xAxis: { type: "category", data: part.months },
      yAxis: { type: "value" },
      series: part.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data, markLine: { silent: true, data: [{ yAxis: part.threshold }], lineStyle: { color: "#c0392b" } } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function draw() {
    var source = document.getElementById("risk-chart-data");
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var tierColours = data.tier_colours || ["#c0392b", "#d68910", "#1e8449", "#85929e"];
    var bucketColours = data.bucket_colours || ["#1e8449", "#d4ac0d", "#d68910", "#ca6f1e", "#c0392b"];
    bars("risk-tier-chart", data.tiers, tierColours);
    bars("risk-bucket-chart", data.buckets, bucketColours);
    lines("risk-stability-chart", data.stability);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
