// The resident's pin: tap the map (the jurisdiction drawn from our own GeoJSON, no tile server) or use the phone's
// position; the point goes into the form's latitude and longitude (WGS-84, what browsers report). Without
// JavaScript the map stays hidden and the address field says where.
(function () {
  "use strict";
  var box = document.getElementById("pin");
  if (!box || typeof L === "undefined") { return; }
  box.hidden = false;
  var el = document.getElementById("pin-map");
  var lat = document.getElementById("latitude");
  var lon = document.getElementById("longitude");
  var said = document.getElementById("pin-status");
  var clear = document.getElementById("pin-clear");
  var locate = document.getElementById("pin-locate");
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false, minZoom: 10, maxZoom: 19 });
  el.minhuMap = map;  // for the browser tests, which tap at a place by its coordinates
  var styles = {
    streets: { color: "#b91c1c", weight: 2, fill: true, fillOpacity: 0.03, fillColor: "#b91c1c" },
    communities: { color: "#175cd3", weight: 1, fill: false },
    water: { color: "#2e90fa", weight: 1, fill: true, fillOpacity: 0.4, fillColor: "#84caff" },
    roads: { color: "#667085", weight: 3, opacity: 0.6 }
  };
  var marker = null;

  function show(latlng, how) {
    var point = L.latLng(latlng);
    if (marker) { marker.setLatLng(point); } else { marker = L.circleMarker(point, { radius: 9, color: "#d92d20", weight: 3, fillOpacity: 0.5 }).addTo(map); }
    lat.value = point.lat.toFixed(6);
    lon.value = point.lng.toFixed(6);
    said.textContent = how + "（" + lat.value + "，" + lon.value + "）";
    clear.hidden = false;
  }

  map.on("click", function (e) { show(e.latlng, "已在地图上标注位置"); });
  // The photos' script offers a photo's position: it pins it through this.
  box.minhuPin = {
    show: function (latitude, longitude, how) { map.setView([latitude, longitude], 17); show([latitude, longitude], how); },
    isSet: function () { return Boolean(lat.value && lon.value); }
  };
  clear.addEventListener("click", function () {
    if (marker) { map.removeLayer(marker); marker = null; }
    lat.value = ""; lon.value = "";
    said.textContent = "未标注位置：点地图标出问题所在，或使用我的位置";
    clear.hidden = true;
  });
  locate.addEventListener("click", function () {
    if (!navigator.geolocation) { said.textContent = "此浏览器不能提供位置，请在地图上点选"; return; }
    said.textContent = "正在获取您的位置…";
    navigator.geolocation.getCurrentPosition(function (p) {
      show([p.coords.latitude, p.coords.longitude], "已使用您的位置");
      map.setView(marker.getLatLng(), 17);
    }, function () { said.textContent = "未能获取位置（可能未授权），请在地图上点选"; }, { enableHighAccuracy: true, timeout: 10000 });
  });

  var bounds = L.latLngBounds([]);
  var layers = ["streets", "communities", "water", "roads"];
  Promise.all(layers.map(function (name) {
    return fetch("/public/map/" + name + ".geojson").then(function (r) { return r.ok ? r.json() : null; });
  })).then(function (all) {
    all.forEach(function (data, i) {
      if (!data || !data.features.length) { return; }
      var layer = L.geoJSON(data, { style: function () { return styles[layers[i]]; }, interactive: false }).addTo(map);
      if (layers[i] === "streets") { bounds.extend(layer.getBounds()); }
    });
    if (lat.value && lon.value) { show([parseFloat(lat.value), parseFloat(lon.value)], "已标注位置"); }
    if (marker) { map.setView(marker.getLatLng(), 16); }
    else if (bounds.isValid()) { map.fitBounds(bounds, { padding: [8, 8] }); }
    else { map.setView([30.55, 114.31], 13); }
  });
  // Until the outlines arrive: somewhere, so a tap already works.
  map.setView([30.55, 114.31], 13);
})();
