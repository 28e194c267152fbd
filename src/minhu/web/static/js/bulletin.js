// The bulletin's charts drawn by ECharts from the figures the page carries; the SVG drawings stay when it cannot.
(function () {
  "use strict";
  var source = document.getElementById("bulletin-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];

  function draw(id, option) {
    var box = document.getElementById(id);
    if (!box) { return; }
    box.hidden = false;
    box.parentElement.classList.add("drawn");
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
  }

  draw("trend-chart", {
    animation: false,
    color: data.colors,
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v.toFixed(2) + "%"; } },
    legend: { top: 0 },
    grid: { left: 48, right: 24, top: 36, bottom: 32 },
    xAxis: { type: "category", data: data.trend.labels },
    yAxis: { type: "value", min: data.trend.min, max: 100, axisLabel: { formatter: "{value}%" } },
    series: data.trend.series.map(function (s) {
      return { name: s.name, type: "line", data: s.data, connectNulls: false, symbolSize: 6 };
    })
  });

  if (data.scores.names.length) {
    var box = document.getElementById("scores-chart");
    if (box) { box.style.height = Math.max(160, 28 * data.scores.names.length + 40) + "px"; }
    draw("scores-chart", {
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 110, right: 56, top: 8, bottom: 24 },
      xAxis: { type: "value", min: 0, max: 100 },
      yAxis: { type: "category", data: data.scores.names, inverse: true },
      series: [{
        type: "bar", barMaxWidth: 18,
        data: data.scores.values.map(function (v, i) {
          return { value: v, itemStyle: { color: data.scores.bottom[i] ? "#ee6666" : "#5470c6" } };
        }),
        label: { show: true, position: "right", formatter: function (p) { return p.value.toFixed(2); } }
      }]
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
}());
