// A topic's orders week by week, before and after it was taken up, drawn by ECharts; the table stays either way.
(function () {
  "use strict";
  var source = document.getElementById("topic-data");
  var box = document.getElementById("topic-chart");
  if (!source || !box || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  box.hidden = false;
  var chart = window.echarts.init(box, null, { renderer: "canvas" });
  var taken = data.weeks.indexOf(data.taken);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    grid: { left: 40, right: 16, top: 24, bottom: 32 },
    xAxis: { type: "category", data: data.weeks.map(function (w) { return w.slice(5); }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{
      name: "工单", type: "bar", data: data.orders.map(function (v, i) {
        return { value: v, itemStyle: { color: taken >= 0 && i >= taken ? "#175cd3" : "#98a2b3" } };
      }),
      markLine: taken >= 0 ? { symbol: "none", label: { formatter: "设立" }, data: [{ xAxis: taken }] } : undefined
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
