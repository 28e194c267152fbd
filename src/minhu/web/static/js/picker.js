// Searchable pickers (templates/_pickers.html): a filter over a list box of units in tree order or of the
// catalog's categories. Type to filter (every word must match; a match keeps its ancestors in sight), ↑↓ to
// move among the matches, Enter to choose the one moved to or else the best match — the first whose own name
// is what was typed, else holds every word, else the first (never submits the form), Esc to clear. Typing
// alone never changes what the form submits. In a multiple picker (吹哨) Enter adds or removes the best match. Without this script the list box works as it is.
//
// On the order page's dispatch form, choosing a category asks the server what routing says of the order
// under it (grade with reasons, owner by the matrix) and sets the grade and the owner to that answer.
(function () {
  "use strict";

  function words(text) { return text.trim().toLowerCase().split(/\s+/).filter(Boolean); }

  // An option's own name: the last step of a category's path, a unit's name without its kind in brackets.
  function ownName(option) {
    var steps = option.textContent.split("›");
    return steps[steps.length - 1].replace(/[（(][^）)]*[）)]\s*$/, "").trim().toLowerCase();
  }

  // How well an option answers what was typed: its own name is it (3), holds every word (2), or it only
  // matched through its code, keywords or the names above it (1). Enter takes the best, first in tree order.
  function fit(option, wanted) {
    var own = ownName(option);
    if (own === wanted.join(" ")) return 3;
    return wanted.every(function (w) { return own.indexOf(w) >= 0; }) ? 2 : 1;
  }

  function Picker(box) {
    this.box = box;
    this.filter = box.querySelector(".picker-filter");
    this.list = box.querySelector("select");
    this.chosen = box.querySelector(".picker-chosen");
    this.multiple = box.hasAttribute("data-multiple");
    this.options = Array.prototype.slice.call(this.list.options);
    this.byId = {};
    this.matches = [];
    var self = this;
    this.options.forEach(function (o) { if (o.value) self.byId[o.dataset.id || o.value] = o; });
    // What a word is matched against: the option's text and code (a category's keywords), and for a unit the
    // text of the units above it — so "积玉桥 网格" finds the grids of 积玉桥街. Options come in tree order:
    // a parent's text is ready before its children's. (A category's text is its whole path already.)
    var inherit = box.classList.contains("unit-picker");
    this.options.forEach(function (o) {
      var up = inherit ? self.byId[o.dataset.up] : null;
      o.search = [o.textContent, o.dataset.code || "", up ? up.search : ""].join(" ").toLowerCase();
    });
    this.filter.hidden = false;
    this.filter.addEventListener("input", function () { self.apply(); });
    this.filter.addEventListener("keydown", function (event) { self.key(event); });
    this.list.addEventListener("change", function () { self.say(); });
    box.picker = this;
    this.say();
  }

  Picker.prototype.apply = function () {
    var wanted = words(this.filter.value);
    var byId = this.byId;
    var matches = [];
    this.options.forEach(function (o) {
      o.classList.remove("picker-context");
      o.hidden = wanted.length > 0;
    });
    if (wanted.length) {
      this.options.forEach(function (o) {
        if (!o.value) return;
        if (!wanted.every(function (w) { return o.search.indexOf(w) >= 0; })) return;
        o.hidden = false;
        matches.push(o);
        // Its ancestors stay in sight (greyed): a match is read in its place in the tree.
        for (var up = byId[o.dataset.up]; up && up.hidden; up = byId[up.dataset.up]) {
          up.hidden = false;
          up.classList.add("picker-context");
        }
      });
    }
    // An ancestor revealed first and matched later is a match, not context.
    matches.forEach(function (o) { o.classList.remove("picker-context"); });
    this.matches = matches;
    this.moved = false;  // until an arrow moves, Enter takes the best match, not what was selected before
    this.list.scrollTop = 0;
    this.say(wanted.length ? (matches.length ? "找到 " + matches.length + " 项" : "没有匹配项") : "");
  };

  Picker.prototype.best = function (list) {
    var wanted = words(this.filter.value);
    var pool = this.matches.length ? this.matches : list;
    if (!wanted.length) return pool[0];
    var best = null, bestFit = 0;
    pool.forEach(function (o) {
      var f = fit(o, wanted);
      if (f > bestFit) { best = o; bestFit = f; }
    });
    return best;
  };

  Picker.prototype.candidates = function () {
    return this.matches.length ? this.matches
      : this.options.filter(function (o) { return !o.hidden; });
  };

  Picker.prototype.select = function (option, announce) {
    option.selected = true;
    option.scrollIntoView({ block: "nearest" });
    if (announce !== false) this.list.dispatchEvent(new Event("change", { bubbles: true }));
    else this.say();
  };

  // Sets the value from outside (the dispatch form's proposed owner); clears a filter that hides it.
  Picker.prototype.set = function (value) {
    var option = this.options.find(function (o) { return o.value === String(value); });
    if (!option) return false;
    if (option.hidden) { this.filter.value = ""; this.apply(); }
    option.selected = true;
    option.scrollIntoView({ block: "nearest" });
    this.say();
    return true;
  };

  Picker.prototype.clear = function () {
    this.list.selectedIndex = -1;
    this.say();
  };

  Picker.prototype.key = function (event) {
    var list = this.candidates();
    var at = list.indexOf(this.list.options[this.list.selectedIndex]);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (this.multiple) { this.list.focus(); return; }
      var next = list[Math.max(0, Math.min(at + (event.key === "ArrowDown" ? 1 : -1), list.length - 1))];
      if (next) { this.select(next, false); this.moved = true; }
    } else if (event.key === "Enter") {
      var typed = words(this.filter.value).length > 0;
      var option = this.multiple ? (this.matches.length ? this.best(this.matches) : null)
        : ((this.moved || !typed) && at >= 0 ? list[at] : this.best(list));
      if (option && option.value) {
        if (this.multiple) { option.selected = !option.selected; this.list.dispatchEvent(new Event("change", { bubbles: true })); }
        else this.select(option, true);
      }
    } else if (event.key === "Escape") {
      if (!this.filter.value) return;
      this.filter.value = "";
      this.apply();
    } else {
      return;
    }
    event.preventDefault();
  };

  Picker.prototype.say = function (found) {
    var picked = Array.prototype.filter.call(this.list.options, function (o) { return o.selected && o.value; });
    var names = picked.map(function (o) { return o.textContent; });
    var line = names.length ? "已选：" + names.join("、") : "未选";
    this.chosen.textContent = found ? found + " · " + line : line;
  };

  // The dispatch form: another category → the server's grade and owner for it.
  function DispatchChoice(form) {
    var box = form.querySelector(".dispatch-choice");
    var categories = form.querySelector(".category-picker");
    var units = form.querySelector(".unit-picker");
    if (!box || !categories || !units) return;
    var grade = form.querySelector('select[name="grade"]');
    var note = box.querySelector(".proposal");
    var url = box.dataset.proposalUrl;
    var asked = 0;

    function show(data) {
      grade.value = data.grade;
      var owner = data.owner ? "；建议承办 " + data.owner.name + "（" + data.owner_reason + "）" : "；" + data.owner_reason;
      note.textContent = "按“" + data.category_path + "”：" + data.grade_reasons.join("；") + owner;
      if (data.owner) units.picker.set(data.owner.id);
      else units.picker.clear();
      form.classList.add("proposal-updated");
    }

    function mark(code) {
      form.querySelectorAll(".quick-choice").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.code === code)); });
    }
    mark(categories.picker.list.value);

    categories.querySelector("select").addEventListener("change", function (event) {
      var code = event.target.value;
      mark(code);
      if (!code) return;
      var ticket = ++asked;
      note.textContent = "正在按所选分类重新定级……";
      fetch(url + "?category_code=" + encodeURIComponent(code), { credentials: "same-origin",
                                                                   headers: { Accept: "application/json" } })
        .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
        .then(function (result) {
          if (ticket !== asked) return;  // a later choice has been made meanwhile
          if (!result.ok) { note.textContent = "未能重新定级：" + ((result.body.error || {}).message || ""); return; }
          show(result.body);
        })
        .catch(function () { if (ticket === asked) note.textContent = "未能重新定级，请检查网络后重试"; });
    });

    form.querySelectorAll(".quick-choice").forEach(function (button) {
      button.addEventListener("click", function () {
        if (!categories.picker.set(button.dataset.code)) return;
        categories.picker.list.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  }

  function start() {
    document.querySelectorAll("[data-picker]").forEach(function (box) { if (!box.picker) new Picker(box); });
    document.querySelectorAll('form[data-action="dispatch"]').forEach(DispatchChoice);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
