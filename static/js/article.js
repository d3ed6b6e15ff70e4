// Article page tools: 打印 and 分享. They need JavaScript, so they stay hidden without it
// (the browser's own print and address bar remain).
(function () {
  "use strict";

  function announce(tools, text) {
    var status = tools.querySelector("[data-share-status]");
    if (status) { status.textContent = text; }
  }

  // The Web Share API where the browser has it (phones mostly); otherwise copy the link.
  function share(button, tools) {
    var url = button.getAttribute("data-share-url");
    var title = button.getAttribute("data-share-title");
    if (navigator.share) {
      navigator.share({ title: title, url: url }).catch(function (error) {
        if (error && error.name !== "AbortError") { copy(url, tools); }
      });
      return;
    }
    copy(url, tools);
  }

  function copy(url, tools) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(
        function () { announce(tools, "链接已复制，可以粘贴分享。"); },
        function () { showLink(url, tools); }
      );
    } else {
      showLink(url, tools);
    }
  }

  // Last resort (no clipboard access, e.g. plain http): show the link selected for copying.
  function showLink(url, tools) {
    var field = tools.querySelector("[data-share-link]");
    if (!field) {
      var label = document.createElement("label");
      label.className = "article__share-link";
      label.textContent = "本文链接：";
      field = document.createElement("input");
      field.type = "url";
      field.readOnly = true;
      field.setAttribute("data-share-link", "");
      label.appendChild(field);
      tools.appendChild(label);
    }
    field.value = url;
    field.focus();
    field.select();
    announce(tools, "请复制上面的链接分享。");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var tools = document.querySelector("[data-article-tools]");
    if (!tools) { return; }
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) { return; }
      if (button.hasAttribute("data-print")) { window.print(); }
      if (button.hasAttribute("data-share")) { share(button, tools); }
    });
  });
})();
