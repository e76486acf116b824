// Consent coverage chart (consents/dashboard.html): data from a JSON script tag, no inline script (CSP).
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("consent-chart");
    var source = document.getElementById("consent-chart-data");
    if (!holder || !source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 40, right: 16, top: 16, bottom: 48 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) {
        var withdrawn = s.kind === "withdrawn";
        // Each series has its own colour from the server (withdrawals in distinct warm colours).
        return { name: s.name, type: "bar", stack: withdrawn ? "withdrawn" : "given", data: s.data, itemStyle: s.color ? { color: s.color } : undefined };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
