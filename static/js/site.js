// Small enhancements on top of htmx. No inline scripts anywhere: the CSP forbids them.
(function () {
  "use strict";

  // Live counters poll only while the tab is visible, and refresh once when it shows again.
  document.addEventListener("htmx:confirm", function (event) {
    if (document.hidden && event.target.matches("[data-poll]")) {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      document.dispatchEvent(new Event("page-visible"));
    }
  });

  // Remember the reader's font size (字号) between articles.
  var KEY = "article-font-size";
  function restoreFontSize() {
    var saved = null;
    try { saved = localStorage.getItem(KEY); } catch (e) { /* storage disabled */ }
    var radio = saved && document.getElementById("fs-" + saved);
    if (radio) { radio.checked = true; }
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "font-size") {
      try { localStorage.setItem(KEY, event.target.value); } catch (e) { /* ignore */ }
    }
  });
  document.addEventListener("DOMContentLoaded", restoreFontSize);
})();
