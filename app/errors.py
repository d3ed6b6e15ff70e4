"""Error pages in Chinese, for every error the site can answer with."""

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: ("请求无效", "请求的内容不完整或已过期，请刷新页面后重试。"),
    403: ("无权访问", "您没有访问此页面的权限。"),
    404: ("页面不存在", "您访问的页面不存在，或文章尚未发布。"),
    405: ("请求方式不支持", "此页面不支持该请求方式。"),
    413: ("提交内容过大", "提交的内容超过了允许的大小，请精简后重试。"),
    429: ("操作过于频繁", "您的操作过于频繁，请稍后再试。"),
}


def init_app(app: Flask) -> None:
    """Register the handlers that render Chinese error pages."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        title, message = MESSAGES.get(error.code, (error.name, error.description))
        if error.code == 403 and error.description != type(error).description:
            message = error.description  # the guard says what the account may not do
        page = render_template("errors/error.html", code=error.code, title=title, message=message)
        return page, error.code

    @app.errorhandler(500)
    def server_error(_error):
        # Standalone page: whatever failed (the database, say) must not fail this too.
        return render_template("errors/500.html"), 500
