// What every page may ask of the browser, by data- attributes rather than inline handlers, which the
// Content-Security-Policy forbids: data-confirm on a form asks before it is sent, data-print prints the page,
// data-select-on-focus selects a field's text (a secret to copy), data-back goes back a page when there is one.
(function () {
  "use strict";

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { e.preventDefault(); }
  });

  document.addEventListener("click", function (e) {
    if (!e.target.closest) { return; }
    if (e.target.closest("[data-print]")) { window.print(); return; }
    var back = e.target.closest("a[data-back]");
    if (back && window.history.length > 1) { e.preventDefault(); window.history.back(); }
  });

  document.addEventListener("focusin", function (e) {
    if (e.target.hasAttribute && e.target.hasAttribute("data-select-on-focus") && e.target.select) {
      e.target.select();
    }
  });
}());
