// 正文 as a rich-text editor (Quill 2) on the article form. Without JavaScript the field
// stays a plain textarea of HTML and the form works the same: this only enhances it.
// The textarea stays in the form and always holds the editor's HTML, so saving, 预览 and
// the wording check read it as they would the plain field; the server sanitises it anyway.
(function () {
  "use strict";

  var LABELS = {
    ".ql-bold": "加粗",
    ".ql-italic": "斜体",
    ".ql-list[value=ordered]": "编号列表",
    ".ql-list[value=bullet]": "项目符号列表",
    ".ql-link": "链接",
    ".ql-image": "插入图片",
    ".ql-table": "插入表格",
    ".ql-clean": "清除格式",
  };
  // Buttons named by their visible text (so voice control matches), explained by a title.
  var TEXT_BUTTONS = {
    "table-row": ["加行", "在表格下方加一行"], "table-column": ["加列", "在表格右侧加一列"],
    "table-delete-row": ["删行", "删除光标所在行"], "table-delete-column": ["删列", "删除光标所在列"],
  };
  var HEADINGS = { "2": "二级标题", "3": "三级标题", "4": "四级标题", "": "正文段落" };

  function editorHtml(quill) {
    if (quill.getLength() <= 1) { return ""; }
    // getSemanticHTML writes every space as &nbsp;, which would stop lines from wrapping.
    return quill.getSemanticHTML().replace(/&nbsp;/g, " ");
  }

  function labelToolbar(toolbar) {
    Object.keys(LABELS).forEach(function (selector) {
      toolbar.querySelectorAll(selector).forEach(function (button) {
        button.setAttribute("aria-label", LABELS[selector]);
        button.setAttribute("title", LABELS[selector]);
      });
    });
    Object.keys(TEXT_BUTTONS).forEach(function (name) {
      var button = toolbar.querySelector(".ql-" + name);
      if (button) {
        button.textContent = TEXT_BUTTONS[name][0];
        button.setAttribute("title", TEXT_BUTTONS[name][1]);
        button.classList.add("ql-text-button");
      }
    });
    toolbar.querySelectorAll(".ql-header .ql-picker-label").forEach(function (label) {
      label.setAttribute("aria-label", "段落格式");
    });
    toolbar.querySelectorAll(".ql-header .ql-picker-item").forEach(function (item) {
      item.setAttribute("aria-label", HEADINGS[item.getAttribute("data-value") || ""]);
    });
    toolbar.querySelectorAll("select.ql-header option").forEach(function (option) {
      option.setAttribute("label", HEADINGS[option.value || ""]);
    });
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", "正文格式");
  }

  function imageDialog(quill, uploadUrl) {
    var dialog = document.getElementById("image-dialog");
    var form = dialog.querySelector("form");
    var error = dialog.querySelector("[data-image-error]");
    var range = null;

    function fail(text) {
      error.textContent = text;
      error.hidden = false;
    }

    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.value !== "insert") { return; }
      event.preventDefault();
      var file = form.elements.file.files[0];
      var alt = form.elements.alt.value.trim();
      if (!file) { fail("请选择图片文件。"); return; }
      if (!alt) { fail("请填写替代文本:说明图片内容,供读屏软件朗读。"); form.elements.alt.focus(); return; }
      var data = new FormData();
      data.append("file", file);
      data.append("alt", alt);
      data.append("want", "image");
      var token = JSON.parse(document.body.getAttribute("data-hx-headers") || "{}")["X-CSRFToken"];
      fetch(uploadUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": token, "Accept": "application/json" },
      }).then(function (response) {
        return response.json().catch(function () {
          return { error: "上传失败(错误 " + response.status + "),请重试。" };
        });
      }).then(function (answer) {
        if (answer.error) { fail(answer.error); return; }
        var at = range ? range.index : quill.getLength() - 1;
        var Delta = Quill.import("delta");
        var attributes = { alt: alt };
        if (answer.width) { attributes.width = String(answer.width); attributes.height = String(answer.height); }
        quill.updateContents(new Delta().retain(at).insert({ image: answer.url }, attributes), "user");
        quill.setSelection(at + 1, 0, "user");
        dialog.close();
      }).catch(function () {
        fail("无法连接服务器,请检查网络后重试。");
      });
    });

    return function open() {
      range = quill.getSelection(true);
      form.reset();
      error.hidden = true;
      dialog.showModal();
    };
  }

  function start(textarea) {
    var form = textarea.form;
    var label = document.getElementById("body-label");
    var config = document.getElementById("editor-config");
    var holder = document.createElement("div");
    holder.className = "rich-text";
    textarea.insertAdjacentElement("afterend", holder);

    var table = function (method) {
      return function () { this.quill.getModule("table")[method](); };
    };
    var openImage = null;
    var quill = new Quill(holder, {
      theme: "snow",
      modules: {
        table: true,
        toolbar: {
          container: [
            [{ header: [2, 3, 4, false] }],
            ["bold", "italic"],
            [{ list: "ordered" }, { list: "bullet" }],
            ["link", "image"],
            ["table", "table-row", "table-column", "table-delete-row", "table-delete-column"],
            ["clean"],
          ],
          handlers: {
            image: function () { openImage(); },
            table: function () { this.quill.getModule("table").insertTable(3, 3); },
            "table-row": table("insertRowBelow"),
            "table-column": table("insertColumnRight"),
            "table-delete-row": table("deleteRow"),
            "table-delete-column": table("deleteColumn"),
          },
        },
      },
    });
    openImage = imageDialog(quill, config.getAttribute("data-upload-url"));
    // Quill's tables know plain cells only: the server makes the first row the header
    // row again on every save, so header cells are handed to the editor as plain ones.
    var html = textarea.value.replace(/<(\/?)th\b[^>]*>/g, "<$1td>");
    quill.setContents(quill.clipboard.convert({ html: html }), "silent");

    // The editor, not the hidden textarea, is what the label names now.
    var root = quill.root;
    root.setAttribute("role", "textbox");
    root.setAttribute("aria-multiline", "true");
    root.setAttribute("aria-labelledby", "body-label");
    root.setAttribute("aria-describedby", textarea.getAttribute("aria-describedby") || "");
    textarea.hidden = true;
    textarea.removeAttribute("id");
    label.removeAttribute("for");
    label.addEventListener("click", function () { quill.focus(); });
    labelToolbar(holder.previousElementSibling);
    quill.theme.tooltip.textbox.setAttribute("aria-label", "链接地址");
    quill.theme.tooltip.textbox.setAttribute("data-link", "https://");

    function sync() {
      textarea.value = editorHtml(quill);
      form.dispatchEvent(new Event("editor-change", { bubbles: true }));
    }
    quill.on("text-change", sync);
    form.addEventListener("submit", function () { textarea.value = editorHtml(quill); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof Quill === "undefined") { return; }
    document.querySelectorAll("textarea[data-rich-text]").forEach(start);
  });
})();
