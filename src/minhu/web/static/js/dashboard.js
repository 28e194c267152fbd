// The dashboard's charts, drawn by ECharts from the figures the page carries (the tables stay either way); on the
// wall screen the page reloads itself.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var wall = document.body.classList.contains("wall");
  var text = wall ? "#e6edf7" : "#344054";
  var charts = [];

  function draw(id, option) {
    var box = document.getElementById(id);
    if (!box) { return; }
    box.hidden = false;
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    option.animation = false;
    option.textStyle = { color: text };
    chart.setOption(option);
    charts.push(chart);
  }

  function bars(id, rows, limit) {
    var shown = rows.slice(0, limit).reverse();
    draw(id, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, axisLabel: { color: text } },
      yAxis: { type: "category", data: shown.map(function (r) { return r.label; }), axisLabel: { color: text } },
      series: [{ type: "bar", name: "工单", data: shown.map(function (r) { return r.count; }),
                 itemStyle: { color: wall ? "#4f8cff" : "#175cd3" }, label: { show: true, position: "right", color: text } }]
    });
  }

  draw("chart-series", {
    tooltip: { trigger: "axis" },
    legend: { top: 0, textStyle: { color: text } },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.series.labels, axisLabel: { color: text } },
    yAxis: { type: "value", minInterval: 1, axisLabel: { color: text } },
    series: [{ name: "本期", type: "line", data: data.series.orders, symbolSize: 5, areaStyle: { opacity: 0.15 } },
             { name: "去年同期", type: "line", data: data.series.last_year, symbolSize: 4, lineStyle: { type: "dashed" } }]
  });
  bars("chart-category", data.category, 10);
  bars("chart-street", data.street, 12);
  bars("chart-community", data.community, 12);
  draw("chart-channel", {
    tooltip: { trigger: "item" },
    legend: { bottom: 0, textStyle: { color: text } },
    series: [{ type: "pie", radius: ["35%", "65%"], label: { color: text },
               data: data.channel.map(function (r) { return { name: r.label, value: r.count }; }) }]
  });
  draw("chart-type", {
    tooltip: { trigger: "item" },
    legend: { bottom: 0, textStyle: { color: text } },
    series: [{ type: "pie", radius: ["35%", "65%"], label: { color: text },
               data: data.type.map(function (r) { return { name: r.label, value: r.count }; }) }]
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  var refresh = parseInt(document.body.getAttribute("data-refresh") || "0", 10);
  if (refresh > 0) { setTimeout(function () { window.location.reload(); }, refresh * 1000); }
})();
