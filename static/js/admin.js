// The admin area's enhancements on top of htmx and site.js (which pauses [data-poll]
// polling in hidden tabs). No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  // htmx leaves the page as it was when a request fails; say so instead of staying silent.
  function showAlert(text) {
    var alert = document.getElementById("admin-alert");
    if (alert) {
      alert.textContent = text;
      alert.hidden = false;
    }
  }
  document.addEventListener("htmx:responseError", function (event) {
    showAlert("操作未完成(错误 " + event.detail.xhr.status + "),请刷新页面后重试。");
  });
  document.addEventListener("htmx:sendError", function () {
    showAlert("无法连接服务器,请检查网络后重试。");
  });

  // After an in-place update, move focus to what changed so keyboard and screen-reader
  // users are not left on a button that no longer exists.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt;
    if (!target || target.matches("[data-poll], [data-live-panel]")) {
      return;
    }
    var alert = document.getElementById("admin-alert");
    if (alert) { alert.hidden = true; }
    var focus = target.querySelector("[data-autofocus], .notice, .field--error textarea, .field--error input");
    if (focus) {
      if (!focus.matches("input, textarea, [tabindex]")) { focus.setAttribute("tabindex", "-1"); }
      focus.focus();
    }
  });
})();

// 常用答复: with JavaScript, "插入答复框" puts the chosen template's text into the reply box
// where the cursor is, keeping what was typed; without it, the GET form reloads the page
// with the text in the box.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-insert-template]")) { return; }
    var panel = form.closest("#message-panel") || document;
    var box = panel.querySelector("textarea[name=reply]");
    var option = form.querySelector("select[name=template] option:checked");
    if (!box || !option || !option.hasAttribute("data-text")) { return; }
    event.preventDefault();
    var text = option.getAttribute("data-text");
    var start = box.selectionStart, end = box.selectionEnd;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.setSelectionRange(start + text.length, start + text.length);
  });
})();
