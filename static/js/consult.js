// Consultation widget (立即咨询): the launcher link opens a native <dialog> whose content htmx
// loads from /consult; without JavaScript the launcher is a plain link to that page.
(function () {
  "use strict";

  var NETWORK_FAILURE = "提交未成功:网络连接或服务器出现问题,请稍后再次点击“提交”。您填写的内容仍保留。";
  var LOAD_FAILURE = "咨询表单加载失败,请检查网络后重试,或";

  function dialog() { return document.getElementById("consult-dialog"); }
  function panel() { return document.getElementById("consult-panel"); }
  function launcher() { return document.querySelector("[data-consult-launcher]"); }
  function isLauncher(elt) { return !!(elt && elt.matches && elt.matches("[data-consult-launcher]")); }
  function inDialog(elt) { return !!(elt && elt.closest && elt.closest("#consult-dialog")); }

  // Polite announcement in the dialog's live region (a modal hides every region outside it).
  function announce(text) {
    var region = document.getElementById("consult-announce");
    if (!region) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 100);
  }

  // An unsent form with something typed in it is kept when the dialog closes.
  function hasDraft() {
    var form = panel() && panel().querySelector("form");
    if (!form) { return false; }
    return Array.prototype.some.call(
      form.querySelectorAll("input:not([type=hidden]), textarea, select"),
      function (field) { return field.value.trim() !== ""; }
    );
  }

  function showMessage(container, text, link) {
    var p = document.createElement("p");
    p.className = "consult-alert__text";
    p.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      p.appendChild(a);
      p.appendChild(document.createTextNode("。"));
    }
    container.replaceChildren(p);
    announce(p.textContent);
  }

  // Open first, then load: the visitor sees the dialog at once.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = dialog();
    if (!box || !isLauncher(event.detail.elt)) { return; }
    var draft = hasDraft();
    if (draft) {
      event.preventDefault();  // reopen what was typed instead of loading a fresh form
    } else {
      var loading = document.createElement("p");
      loading.className = "consult-dialog__loading";
      loading.textContent = "正在加载…";
      panel().replaceChildren(loading);
    }
    if (!box.open) { box.showModal(); }
    if (draft) { focusFirst(panel().querySelector("form")); }
  });

  function focusFirst(form) {
    var field = form && form.querySelector("input:not([type=hidden]):not([tabindex='-1']), select, textarea");
    if (field) { field.focus(); }
  }

  // htmx 2 leaves 4xx/5xx answers unswapped; these ones carry a message meant for the dialog
  // (503: the database is busy, the typed form stays as it is).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (inDialog(event.detail.elt) && [400, 413, 429, 503].indexOf(status) !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!inDialog(target)) { return; }
    if (target.id === "consult-alert") {  // a message that keeps the form as it is
      announce(target.textContent.trim());
      return;
    }
    var sent = target.querySelector("[data-consult-sent]");
    if (sent) {
      sent.querySelector(".consult-sent__title").focus();
      announce(Array.prototype.map.call(
        sent.querySelectorAll(".consult-sent__title, .consult-sent__text, .consult-sent__receipt"),
        function (node) { return node.textContent.trim(); }
      ).join(" "));
      return;
    }
    var alert = target.querySelector("#consult-alert");
    var invalid = target.querySelectorAll("[aria-invalid='true']");
    if (invalid.length) {
      invalid[0].focus();
      announce("提交未成功,有" + invalid.length + "项需要修改。" + (alert ? alert.textContent.trim() : ""));
    } else if (alert && alert.textContent.trim()) {
      target.querySelector("button[type='submit']").focus();
      announce(alert.textContent.trim());
    } else {
      focusFirst(target.querySelector("form"));
    }
  });

  function failed(event) {
    var elt = event.detail.elt;
    if (isLauncher(elt) && panel()) {
      showMessage(panel(), LOAD_FAILURE, { href: elt.href, text: "打开咨询页面" });
    } else if (inDialog(elt)) {
      var alert = document.getElementById("consult-alert");
      if (alert) { showMessage(alert, NETWORK_FAILURE); }
    }
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:timeout", failed);

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-consult-close]");
    var box = dialog();
    if (button && box && box.open) { box.close(); }
  });

  // After closing (×, 关闭 or Esc): focus goes back to the launcher; a sent form is gone.
  document.addEventListener("DOMContentLoaded", function () {
    var box = dialog();
    if (!box) { return; }
    box.addEventListener("close", function () {
      if (!hasDraft()) { panel().replaceChildren(); }
      document.getElementById("consult-announce").textContent = "";
      var link = launcher();
      if (link) { link.focus(); }
    });
  });

  // On a phone the floating launcher would sit on the text being read: it slides away while
  // the reader scrolls down and comes back as soon as they scroll up (or reach the end).
  var PHONE = window.matchMedia("(max-width: 600px)");
  var lastY = window.scrollY;
  window.addEventListener("scroll", function () {
    var link = launcher();
    if (!link) { return; }
    var y = window.scrollY;
    var atEnd = window.innerHeight + y >= document.documentElement.scrollHeight - 8;
    if (Math.abs(y - lastY) < 8 && !atEnd) { return; }  // ignore jitter
    var down = y > lastY && y > 64;
    link.classList.toggle("is-tucked", PHONE.matches && down && !atEnd && document.activeElement !== link);
    lastY = y;
  }, { passive: true });

  // Live character count; screen readers hear it once typing pauses.
  var countTimer = null;
  document.addEventListener("input", function (event) {
    var field = event.target;
    var counter = field.id && document.querySelector("[data-count-for='" + field.id + "']");
    if (!counter) { return; }
    var max = parseInt(counter.getAttribute("data-count-max"), 10);
    var length = Array.from(field.value.replace(/\r\n/g, "\n").trim()).length;
    counter.querySelector("[data-count]").textContent = String(length);
    counter.classList.toggle("is-over", length > max);
    var spoken = counter.nextElementSibling;
    if (!spoken || !spoken.hasAttribute("data-count-announce")) { return; }
    window.clearTimeout(countTimer);
    countTimer = window.setTimeout(function () {
      spoken.textContent = length > max
        ? "已超出" + (length - max) + "字"
        : "已输入" + length + "字,还可输入" + (max - length) + "字";
    }, 1000);
  });
})();
