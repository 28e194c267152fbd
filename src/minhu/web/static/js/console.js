// The operator's console: the keyboard, the draft kept in this browser until the call is registered, the chosen
// matter (一事多办) and the small map of where the request stands. The panels themselves come from the server
// through htmx as the operator types.
(function () {
  "use strict";
  var form = document.getElementById("console-form");
  if (!form) { return; }
  var root = document.getElementById("console");
  var started = document.getElementById("started-at");
  var join = document.getElementById("join");
  var chosenNote = document.getElementById("console-chosen");
  var draftNote = document.getElementById("draft-note");
  var phone = document.getElementById("caller-phone");
  var KEY = "minhu.console.draft";
  var KEPT = ["citizen_phone", "citizen_name", "channel", "type", "urgency", "title", "content", "address",
              "answer", "join", "started_at"];
  var CHECKS = ["anonymous", "confidential", "answer_now"];

  function field(name) { return form.elements.namedItem(name); }

  function save() {
    var draft = { savedAt: Date.now() };
    KEPT.forEach(function (name) { var el = field(name); if (el) { draft[name] = el.value; } });
    CHECKS.forEach(function (name) { var el = field(name); if (el) { draft[name] = el.checked; } });
    try { localStorage.setItem(KEY, JSON.stringify(draft)); } catch (e) { /* private mode: no draft kept */ }
  }

  function forget() { try { localStorage.removeItem(KEY); } catch (e) { /* nothing kept */ } }

  function restore() {
    var text = null;
    try { text = localStorage.getItem(KEY); } catch (e) { return; }
    if (!text) { return; }
    var draft;
    try { draft = JSON.parse(text); } catch (e) { forget(); return; }
    var typed = KEPT.some(function (name) { return name !== "started_at" && draft[name]; });
    if (!typed) { return; }
    KEPT.forEach(function (name) { var el = field(name); if (el && typeof draft[name] === "string") { el.value = draft[name]; } });
    CHECKS.forEach(function (name) { var el = field(name); if (el) { el.checked = Boolean(draft[name]); } });
    var at = new Date(draft.savedAt || Date.now());
    draftNote.textContent = "已恢复未提交的草稿（" + String(at.getHours()).padStart(2, "0") + ":" +
      String(at.getMinutes()).padStart(2, "0") + " 保存）";
    draftNote.hidden = false;
    showChosen();
  }

  function showChosen() {
    chosenNote.textContent = join.value ? "将并入工单 " + join.value + "（Alt+0 取消）" : "";
    Array.prototype.forEach.call(document.querySelectorAll("#console-duplicates li"), function (li) {
      var mine = li.getAttribute("data-number") === join.value;
      li.classList.toggle("chosen", mine);
      var button = li.querySelector(".console-join");
      if (button) { button.textContent = mine ? "已选择并入" : "并入此事项（" + button.getAttribute("aria-keyshortcuts") + "）"; }
    });
  }

  function choose(number) {
    join.value = join.value === number ? "" : number;
    showChosen();
    save();
  }

  // The caller's history is asked for by the number typed: the field is named citizen_phone, the query phone.
  phone.addEventListener("htmx:configRequest", function (e) { e.detail.parameters.phone = phone.value; });

  var debounce = null;
  form.addEventListener("input", function () {
    if (!started.value) { started.value = String(Date.now()); }
    clearTimeout(debounce);
    debounce = setTimeout(save, 300);
  });
  form.addEventListener("change", save);

  document.getElementById("live").addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest(".console-join") : null;
    if (button) { choose(button.getAttribute("data-number")); }
    // An article's answer, offered for a consultation answered on the call: filled in, ticked, still editable.
    var cite = e.target.closest ? e.target.closest(".console-cite") : null;
    if (cite) {
      form.elements.answer.value = cite.getAttribute("data-answer");
      form.elements.answer_now.checked = true;
      form.elements.answer.focus();
      save();
    }
  });

  document.addEventListener("keydown", function (e) {
    if (e.altKey && e.key >= "0" && e.key <= "9") {
      e.preventDefault();
      if (e.key === "0") { join.value = ""; showChosen(); save(); return; }
      var buttons = document.querySelectorAll("#console-duplicates .console-join");
      var button = buttons[parseInt(e.key, 10) - 1];
      if (button) { choose(button.getAttribute("data-number")); }
    } else if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }
  });

  document.getElementById("draft-clear").addEventListener("click", function () {
    forget();
    window.location.assign("/console");
  });

  // The small map: the jurisdiction's outlines from our own GeoJSON, the request's point on them.
  var outlines = null;
  var map = null;
  function outlinesOnce() {
    if (!outlines) {
      outlines = Promise.all(["streets", "communities"].map(function (name) {
        return fetch("/public/map/" + name + ".geojson").then(function (r) { return r.ok ? r.json() : null; });
      }));
    }
    return outlines;
  }
  function drawMap() {
    var where = document.getElementById("console-where");
    var box = document.getElementById("console-map");
    if (map) { map.remove(); map = null; }
    if (!where || !box || box.hidden || typeof L === "undefined") { return; }
    var lat = parseFloat(where.getAttribute("data-lat"));
    var lon = parseFloat(where.getAttribute("data-lon"));
    if (isNaN(lat) || isNaN(lon)) { return; }
    map = L.map(box, { attributionControl: false, zoomControl: false }).setView([lat, lon], 15);
    outlinesOnce().then(function (layers) {
      if (!map) { return; }
      layers.forEach(function (data, i) {
        if (data && data.features.length) {
          L.geoJSON(data, { interactive: false, style: i === 0 ? { color: "#b91c1c", weight: 2, fillOpacity: 0.03 }
                                                                : { color: "#175cd3", weight: 1, fill: false } }).addTo(map);
        }
      });
      L.circleMarker([lat, lon], { radius: 7, color: "#d92d20", weight: 3, fillOpacity: 0.6 }).addTo(map);
    });
  }
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail && e.detail.target && e.detail.target.id === "live") { drawMap(); showChosen(); }
  });

  if (root.getAttribute("data-registered")) {
    forget();  // the call was registered: its draft is done
  } else {
    restore();
  }
  if (field("title").value || field("content").value) {
    setTimeout(function () { if (window.htmx) { window.htmx.trigger(form, "change"); } }, 50);
  }
})();
