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

  // 长者模式: the switch is a plain link to /elder (the server sets the cookie and comes
  // back); here it toggles at once, without a reload, and writes the same cookie. The
  // server reads it on the next page, so that page is drawn in the right mode from the start.
  var ELDER_COOKIE = "elder_mode";
  var ELDER_YEAR = 365 * 24 * 3600;

  function setElderMode(on) {
    document.cookie = ELDER_COOKIE + "=" + (on ? "1" : "") + "; path=/; samesite=lax; max-age=" +
      (on ? ELDER_YEAR : 0) + (location.protocol === "https:" ? "; secure" : "");
    showElderMode(on);
  }
  function showElderMode(on) {
    document.documentElement.classList.toggle("elder", on);
    document.querySelectorAll("[data-elder-switch]").forEach(function (link) {
      var url = new URL(link.href, location.href);
      url.searchParams.set("on", on ? "0" : "1");
      link.href = url.pathname + url.search;
      link.textContent = on ? "退出长者模式" : "长者模式";
    });
  }
  // A page shown again from the back-forward cache was drawn before a later switch.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      showElderMode(document.cookie.split("; ").indexOf(ELDER_COOKIE + "=1") !== -1);
    }
  });
  function toggleElderMode() {
    setElderMode(!document.documentElement.classList.contains("elder"));
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-elder-switch]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    toggleElderMode();
  });
  // The shortcut named in the switch's aria-keyshortcuts (Alt+Shift+E); event.code, since
  // Alt changes the character a key types on some keyboards.
  document.addEventListener("keydown", function (event) {
    if (event.altKey && event.shiftKey && !event.ctrlKey && !event.metaKey && event.code === "KeyE") {
      event.preventDefault();
      toggleElderMode();
    }
  });
})();
