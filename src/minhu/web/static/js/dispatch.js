// The dispatcher's queue — the centre's and a street's — from the keyboard. The queue's forms are plain forms that post to the order's
// action route and come back to /dispatch; this script submits the same forms in the background, swaps
// the queue in place, states the outcome and moves on to the next order. Keys never fire while typing.
(function () {
  "use strict";
  var wrap = document.getElementById("queue-wrap");
  if (!wrap) return;
  var panel = document.getElementById("dispatch-panel");
  var panelNumber = document.getElementById("panel-number");
  var filter = document.getElementById("unit-filter");
  var picker = document.getElementById("unit-picker");
  var help = document.getElementById("key-help");
  var current = 0;
  var busy = false;
  panel.hidden = false;

  function items() { return Array.prototype.slice.call(wrap.querySelectorAll(".queue-item")); }
  function selected() { return items()[current] || null; }

  function select(index, scroll) {
    var all = items();
    current = all.length ? Math.max(0, Math.min(index, all.length - 1)) : 0;
    all.forEach(function (el, i) {
      el.classList.toggle("selected", i === current);
      if (i === current) el.setAttribute("aria-current", "true");
      else el.removeAttribute("aria-current");
    });
    var item = selected();
    if (item && scroll !== false) item.scrollIntoView({ block: "nearest" });
    panelNumber.textContent = item ? item.dataset.number : "";
  }

  function say(message, ok) {
    var box = document.getElementById("queue-result");
    var line = document.createElement("div");
    line.className = "flash " + (ok ? "ok" : "error");
    line.textContent = message;
    box.replaceChildren(line);
  }

  // Typing happens in text fields, text areas, selects and editable content; radio buttons and
  // checkboxes are not typed in, so the keys still work after one is clicked.
  function typing(el) {
    if (!el || !el.closest) return false;
    if (el.closest("textarea, select, [contenteditable='true'], [contenteditable='']")) return true;
    var input = el.closest("input");
    return !!input && ["radio", "checkbox", "button", "submit", "reset"].indexOf(input.type) < 0;
  }

  function number(item) { return item ? item.dataset.number : ""; }

  function submit(form) {
    if (busy) return;
    var item = form.closest(".queue-item");
    var n = number(item);
    busy = true;
    item.classList.add("busy");
    // getAttribute: the form's field named "action" shadows the form.action property.
    fetch(form.getAttribute("action"), { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { "HX-Request": "true" } })
      .then(function (response) {
        return response.text().then(function (html) { return { response: response, html: html }; });
      })
      .then(function (result) {
        var signIn = result.response.headers.get("HX-Redirect");
        if (signIn) { window.location.href = signIn; return; }  // the session ended: sign in again
        var doc = new DOMParser().parseFromString(result.html, "text/html");
        var fresh = doc.getElementById("queue");
        if (!result.response.ok || !fresh) {
          say(n + "：操作未完成（" + result.response.status + "）" + failure(result.html, doc), false);
          return;
        }
        document.getElementById("queue").replaceWith(fresh);
        // Done, the order has left and the one now in its place is the next; refreshed, it is still there.
        var at = items().findIndex(function (el) { return el.dataset.number === n; });
        select(at >= 0 ? at : current);
      })
      .catch(function (error) { say(n + "：未能提交，请检查网络后重试（" + error + "）", false); })
      .then(function () { busy = false; item.classList.remove("busy"); });
  }

  // An error comes back as {"error": {"message"}} or as an error page.
  function failure(text, doc) {
    try { return JSON.parse(text).error.message; } catch (ignored) { /* not JSON */ }
    var reason = doc.querySelector("main p");
    return reason ? reason.textContent : "";
  }

  function pick(index) {
    var item = selected();
    if (!item) return;
    var choices = item.querySelectorAll('input[name="category_code"]:not([data-current])');
    if (choices[index - 1]) choices[index - 1].checked = true;
    else say(number(item) + "：没有第 " + index + " 个分类建议", false);
  }

  function dispatchSelected() {
    var item = selected();
    if (!item) return;
    var form = item.querySelector("form.dispatch-form");
    if (!form) {
      say(number(item) + (item.querySelector("form.accept-form")
        ? wrap.dataset.acceptFirst || "：待受理的工单须先受理（按 a）" : "：您不能派此工单"), false);
      return;
    }
    if (!form.querySelector('select[name="unit_id"]').value) {
      say(number(item) + "：请先选择承办单位（按 u）", false);
      return;
    }
    submit(form);
  }

  function acceptSelected() {
    var item = selected();
    if (!item) return;
    var form = item.querySelector("form.accept-form");
    if (form) submit(form);
    else say(number(item) + (wrap.dataset.nothingToAccept || "：此工单无需受理"), false);
  }

  // The unit picker: a filter over every dispatchable unit; the choice goes into the row's own select.
  function applyFilter() {
    var words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var first = null;
    Array.prototype.forEach.call(picker.options, function (option) {
      var text = option.dataset.search.toLowerCase();
      var shown = words.every(function (w) { return text.indexOf(w) >= 0; });
      option.hidden = !shown;
      if (shown && !first) first = option;
    });
    var chosen = picker.options[picker.selectedIndex];
    if (first && (!chosen || chosen.hidden)) first.selected = true;
  }

  function stepPicker(step) {
    var options = Array.prototype.filter.call(picker.options, function (o) { return !o.hidden; });
    var at = options.indexOf(picker.options[picker.selectedIndex]);
    var next = options[Math.max(0, Math.min(at + step, options.length - 1))];
    if (next) { next.selected = true; next.scrollIntoView({ block: "nearest" }); }
  }

  function openPicker() {
    var item = selected();
    if (!item || !item.querySelector("form.dispatch-form")) {
      say(number(item) + "：此工单现在不能派单", false);
      return;
    }
    filter.value = "";
    applyFilter();
    filter.focus();
  }

  function backToQueue() {
    var item = selected();
    if (item) item.focus({ preventScroll: true });
    else document.activeElement.blur();
  }

  function choose() {
    var option = picker.options[picker.selectedIndex];
    var item = selected();
    if (!option || option.hidden || !item) return;
    var rowSelect = item.querySelector('form.dispatch-form select[name="unit_id"]');
    var mine = Array.prototype.find.call(rowSelect.options, function (o) { return o.value === option.value; });
    if (!mine) {
      mine = new Option(option.textContent, option.value);
      rowSelect.add(mine);
    }
    rowSelect.value = option.value;
    item.classList.add("unit-changed");
    say(number(item) + "：承办单位改为 " + option.textContent + "，按 Enter 派单", true);
    backToQueue();
  }

  filter.addEventListener("input", applyFilter);
  function pickerKeys(event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") stepPicker(event.key === "ArrowDown" ? 1 : -1);
    else if (event.key === "Enter") choose();
    else if (event.key === "Escape") backToQueue();
    else return;
    event.preventDefault();
    event.stopPropagation();
  }
  filter.addEventListener("keydown", pickerKeys);
  picker.addEventListener("keydown", pickerKeys);
  picker.addEventListener("dblclick", choose);

  wrap.addEventListener("submit", function (event) {
    event.preventDefault();
    submit(event.target);
  });
  wrap.addEventListener("click", function (event) {
    var item = event.target.closest(".queue-item");
    if (item) select(items().indexOf(item), false);
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (!help.hidden && event.key !== "?" && event.key !== "Escape") return;
    var onControl = event.target.closest && event.target.closest("button, a, summary");
    var item = selected();
    switch (event.key) {
      case "j": case "ArrowDown": select(current + 1); break;
      case "k": case "ArrowUp": select(current - 1); break;
      case "1": case "2": case "3": pick(Number(event.key)); break;
      case "Enter": if (onControl) return; dispatchSelected(); break;
      case "u": openPicker(); break;
      case "a": acceptSelected(); break;
      case "o": if (item) window.location.href = "/orders/" + number(item); break;
      case "?": help.hidden = !help.hidden; break;
      case "Escape": help.hidden = true; break;
      default: return;
    }
    event.preventDefault();
  });

  var focused = document.querySelector("#queue-result [data-number]");
  var start = focused ? items().findIndex(function (el) { return el.dataset.number === focused.dataset.number; }) : -1;
  select(start >= 0 ? start : 0, start >= 0);
})();
