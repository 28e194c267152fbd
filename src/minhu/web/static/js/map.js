// The one map: the jurisdiction drawn from our own GeoJSON (no tile server), live orders on top.
// Everything is drawn on one canvas so that a thousand grids and thousands of points stay fluid.
(function () {
  "use strict";
  var el = document.getElementById("map");
  var status = document.getElementById("map-status");
  var layerNames = JSON.parse(el.dataset.layers);
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25, attributionControl: false, minZoom: 10, maxZoom: 19 });
  el.minhuMap = map;  // for the browser tests, which click at a place by its coordinates
  var renderer = L.canvas({ padding: 0.5, tolerance: 3 });
  var styles = {
    streets: { color: "#b91c1c", weight: 2.5, fill: true, fillOpacity: 0.04, fillColor: "#b91c1c" },
    communities: { color: "#175cd3", weight: 1.2, fill: true, fillOpacity: 0.02, fillColor: "#175cd3" },
    grids: { color: "#98a2b3", weight: 0.6, fill: true, fillOpacity: 0.02, fillColor: "#98a2b3" },
    water: { color: "#2e90fa", weight: 1, fill: true, fillOpacity: 0.45, fillColor: "#84caff" },
    roads: { color: "#667085", weight: 3, opacity: 0.7 }
  };
  var lightColors = { red: "#d92d20", yellow: "#f79009" };
  var statusColors = {
    "new": "#b54708", accepted: "#175cd3", dispatched: "#175cd3", signed: "#5925dc", handling: "#5925dc",
    replied: "#067647", reviewed: "#067647", called_back: "#067647", returned: "#b54708",
    escalated: "#b42318", suspended: "#667085"
  };
  var order = ["streets", "communities", "grids", "water", "roads"];

  // Titles come from citizens and names from map files: never let them be read as HTML.
  function escapeHtml(text) {
    var span = document.createElement("span");
    span.textContent = String(text);
    return span.innerHTML;
  }
  var overlays = {};
  var loaded = {};

  function openUnit(code, latlng) {
    fetch("/map/units/" + encodeURIComponent(code), { headers: { Accept: "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (html) { L.popup({ maxWidth: 360 }).setLatLng(latlng).setContent(html).openOn(map); });
  }

  function unitLayer(name, data) {
    return L.geoJSON(data, {
      renderer: renderer,
      style: function () { return styles[name]; },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        layer.bindTooltip(escapeHtml(p.name), { sticky: true, direction: "top" });
        layer.on("click", function (e) {
          if (name === "water" || name === "roads") {
            L.popup().setLatLng(e.latlng).setContent("<strong>" + escapeHtml(p.name) + "</strong>").openOn(map);
          } else {
            openUnit(p.code, e.latlng);
          }
        });
      }
    });
  }

  var markers = {};

  function orderLayer(data) {
    return L.geoJSON(data, {
      renderer: renderer,
      pointToLayer: function (feature, latlng) {
        var p = feature.properties;
        // The ring tells the light: red overdue, amber near its deadline, white otherwise.
        var ring = lightColors[p.light];
        return L.circleMarker(latlng, {
          renderer: renderer, radius: ring ? 6 : 5, weight: ring ? 2.5 : 1, color: ring || "#fff",
          fillColor: p.inferred ? "#98a2b3" : (statusColors[p.status] || "#344054"), fillOpacity: 0.9
        });
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        markers[p.number] = layer;
        layer.bindTooltip(escapeHtml(p.number + " " + p.title));
        layer.on("click", function () { window.location.href = "/orders/" + p.number; });
      }
    });
  }

  var heatColors = ["#fee8c8", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"];

  function heatLayer(heat) {
    return L.geoJSON(loaded.grids, {
      renderer: renderer,
      filter: function (feature) { return (heat.grids[feature.properties.code] || 0) > 0; },
      style: function (feature) {
        var share = heat.grids[feature.properties.code] / Math.max(heat.max, 1);
        var step = Math.min(heatColors.length - 1, Math.floor(share * heatColors.length));
        return { color: "#7a271a", weight: 0.4, fill: true, fillOpacity: 0.6, fillColor: heatColors[step] };
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        layer.bindTooltip(escapeHtml(p.name + "：" + heat.grids[p.code] + " 件"), { sticky: true });
        layer.on("click", function (e) { openUnit(p.code, e.latlng); });
      }
    });
  }

  Promise.all(order.map(function (name) {
    return fetch("/map/layers/" + name + ".geojson").then(function (r) { return r.json(); })
      .then(function (data) { loaded[name] = data; });
  })).then(function () {
    order.forEach(function (name) {
      var layer = unitLayer(name, loaded[name]);
      overlays[layerNames[name]] = layer;
      layer.addTo(map);
    });
    var bounds = overlays[layerNames.streets].getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12] }); } else { map.setView([30.55, 114.31], 12); }
    return fetch("/map/orders.geojson").then(function (r) { return r.json(); });
  }).then(function (points) {
    var layer = orderLayer(points);
    el.minhuOrders = layer;
    overlays["在办工单"] = layer;
    layer.addTo(map);
    return fetch("/map/heat.json").then(function (r) { return r.json(); }).then(function (heat) {
      // Where the city hurts: each grid coloured by its orders of the last 30 days (shown when ticked).
      overlays["诉求热力（近 " + heat.days + " 天）"] = heatLayer(heat);
      return points;
    });
  }).then(function (points) {
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    var grids = loaded.grids.features.length;
    status.textContent = "网格 " + grids + " 个 · 在办工单 " + points.features.length + " 件（点击网格查看责任人与在办工单，点击工单打开详情）";
    // /map#WC20261123000001 (the link on an order's page) centres the map on that order.
    var wanted = markers[decodeURIComponent(window.location.hash.slice(1))];
    if (wanted) { map.setView(wanted.getLatLng(), 16); wanted.openTooltip(); }
    el.dataset.ready = "true";
  }).catch(function (error) {
    status.textContent = "地图载入失败：" + error;
  });
})();
