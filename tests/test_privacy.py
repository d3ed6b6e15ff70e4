"""Privacy (PIPL): the notice on the form, the 隐私声明 page, the lookup kept out of URLs
and logs, and honest handling of a form sent too fast."""

import http.cookiejar
import os
import re
import subprocess
import time
import urllib.parse
import urllib.request
from unittest import mock

import pytest

from app.consult.service import seconds_since, start_token
from app.models import MessageStatus
from tests.live import BIN, ROOT, _wait_until_up, flask_command, free_port
from tests.test_consult import CONFIRMATION, HTMX, RECEIPT, add_message, stored, valid

CONFIRM_AGAIN = "请确认后再次提交"
TOKEN = r'name="{}" type="hidden" value="([^"]+)"'


def hidden(page: str, name: str) -> str:
    return re.search(TOKEN.format(name), page).group(1)


@pytest.fixture
def client(app):
    app.config["CONSULT_MIN_FILL_SECONDS"] = 0
    return app.test_client()


# The notice on the form


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "dialog"])
def test_the_form_says_what_is_collected_why_and_how_long_before_the_submit_button(
    app, client, headers
):
    app.config["RETENTION_DAYS"] = 400
    page = client.get("/consult", headers=headers).get_data(as_text=True)
    notice = re.search(r'<p[^>]*id="consult-privacy"[^>]*>(.*?)</p>', page, re.S).group(1)
    for collected in ["姓名", "联系电话", "电子邮箱", "单位", "留言内容", "IP 地址", "浏览器"]:
        assert collected in notice, collected
    assert "答复您的咨询" in notice
    assert "满 400 天后" in notice
    assert 'href="/privacy"' in notice
    assert page.index('id="consult-privacy"') < page.index(">提交</button>")


# The 隐私声明 page


def test_the_privacy_page_says_who_what_why_how_long_and_how_to_use_your_rights(app, client):
    app.config.update(
        RETENTION_DAYS=180, SPAM_RETENTION_DAYS=14, CONSULT_RATE_LIMIT="5 per 15 minutes"
    )
    response = client.get("/privacy")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>隐私声明</h1>" in page
    assert f"由{app.config['SITE_NAME']}运营" in page
    for said in ["姓名", "联系电话", "IP 地址", "答复您的咨询", "查阅", "更正", "删除"]:
        assert said in page, said
    assert "满 180 天后" in page
    assert "满 14 天后整条删除" in page
    assert "（15分钟）" in page
    statement = re.search(r"<article.*?</article>", page, re.S).group(0)
    assert "365" not in statement  # every period comes from the settings
    assert 'href="/consult"' in page  # how to exercise the rights: 立即咨询
    assert 'href="/consult/status"' in page
    assert not re.search(r"XXX|TODO|待定|待补充|【.*?】", page)


def test_the_privacy_page_names_the_councils_contact_when_one_is_set(app, client):
    assert "联系方式：" not in client.get("/privacy").get_data(as_text=True)
    app.config["PRIVACY_CONTACT"] = "电话 010-88075000"
    page = client.get("/privacy").get_data(as_text=True)
    assert "联系方式：电话 010-88075000" in page
    assert "或通过 电话 010-88075000 与本会联系" in page


def test_every_public_page_links_to_the_privacy_statement_in_the_footer(client, make_article):
    article = make_article()
    for path in ["/", "/news/", f"/articles/{article}", "/consult", "/consult/status"]:
        page = client.get(path).get_data(as_text=True)
        footer = re.search(r'<footer class="site-footer">.*?</footer>', page, re.S).group(0)
        assert 'href="/privacy">隐私声明</a>' in footer, path


# The receipt lookup: posted, never in a URL


def lookup(client, receipt: str, phone: str):
    return client.post("/consult/status", data={"receipt": receipt, "phone": phone})


def test_the_lookup_form_posts(client):
    page = client.get("/consult/status").get_data(as_text=True)
    form = re.search(r"<form[^>]*consult-status-form[^>]*>", page).group(0)
    assert 'method="post"' in form
    assert 'action="/consult/status"' in form


def test_a_lookup_by_post_finds_the_message_and_is_never_stored_by_a_cache(app, client):
    receipt = add_message(app)
    response = lookup(client, receipt.lower(), "139 1234 5678")
    page = response.get_data(as_text=True)
    assert "合同纠纷如何申请商事调解?" in page
    assert "待处理" in page
    assert response.headers["Cache-Control"] == "no-store"


def test_receipt_and_phone_in_the_query_string_search_nothing(app, client):
    receipt = add_message(app)
    response = client.get(
        "/consult/status", query_string={"receipt": receipt, "phone": "13912345678"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "查询结果" not in page
    assert "合同纠纷" not in page
    assert f'value="{receipt}"' not in page


def test_with_csrf_on_a_lookup_needs_the_token_of_the_form(app):
    app.config["WTF_CSRF_ENABLED"] = True
    receipt = add_message(app)
    client = app.test_client()
    refused = lookup(client, receipt, "13912345678")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "安全验证已过期" in page
    assert "合同纠纷" not in page
    assert f'value="{receipt}"' in page  # typed text kept, with a fresh token to send it again
    token = hidden(client.get("/consult/status").get_data(as_text=True), "csrf_token")
    data = {"receipt": receipt, "phone": "13912345678", "csrf_token": token}
    found = client.post("/consult/status", data=data).get_data(as_text=True)
    assert "合同纠纷如何申请商事调解?" in found


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "dialog"])
def test_after_sending_the_lookup_link_has_no_receipt_and_the_form_has_it(client, headers):
    response = client.post("/consult", data=valid(client), headers=headers, follow_redirects=True)
    page = response.get_data(as_text=True)
    receipt = RECEIPT.search(page).group(1)
    assert 'href="/consult/status">查询办理进度</a>' in page
    assert receipt not in "".join(re.findall(r'(?:href|action)="([^"]*)"', page))
    form = client.get("/consult/status").get_data(as_text=True)
    assert f'value="{receipt}"' in form
    assert "field__error" not in form


# Too fast: asked to confirm, not filed away


def started_ago(app, seconds: float) -> str:
    """A fill-time stamp made ``seconds`` ago."""
    with app.test_request_context(), mock.patch("time.time", return_value=time.time() - seconds):
        return start_token()


def test_a_form_sent_too_fast_from_the_dialog_is_kept_and_asked_again(app, client):
    app.config["CONSULT_MIN_FILL_SECONDS"] = 60
    data = valid(client, name="李四", started=started_ago(app, 30))
    response = client.post("/consult", data=data, headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in page
    alert = re.search(r'id="consult-alert"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert CONFIRM_AGAIN in alert
    assert 'value="李四"' in page
    assert "请问办理原产地证书需要准备哪些材料?" in page
    with app.test_request_context():
        assert seconds_since(hidden(page, "started")) < 5  # the minimum time counts from now
    assert CONFIRMATION not in page
    assert stored(app) == []


def test_a_form_sent_too_fast_without_javascript_is_the_page_again(app, client):
    app.config["CONSULT_MIN_FILL_SECONDS"] = 60
    response = client.post("/consult", data=valid(client))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in page
    assert CONFIRM_AGAIN in page
    assert 'value="张三"' in page
    assert stored(app) == []


def test_sending_again_after_the_minimum_time_stores_a_real_message(app, client):
    app.config["CONSULT_MIN_FILL_SECONDS"] = 60  # too fast, however slow the machine
    data = valid(client)
    first = client.post("/consult", data=data, headers=HTMX).get_data(as_text=True)
    assert CONFIRM_AGAIN in first
    app.config["CONSULT_MIN_FILL_SECONDS"] = 1  # ... and the second comes after the minimum
    time.sleep(1.1)
    again = client.post("/consult", data=data | {"started": hidden(first, "started")}, headers=HTMX)
    assert CONFIRMATION in again.get_data(as_text=True)
    [message] = stored(app)
    assert (message.status, message.spam_reason) == (MessageStatus.PENDING, "")


def test_the_honeypot_alone_still_files_silently_as_spam(app, client):
    app.config["CONSULT_MIN_FILL_SECONDS"] = 60  # too fast as well: the honeypot decides
    data = valid(client, website="https://spam.example")
    page = client.post("/consult", data=data, headers=HTMX).get_data(as_text=True)
    assert CONFIRMATION in page
    assert CONFIRM_AGAIN not in page
    [message] = stored(app)
    assert (message.status, message.spam_reason) == (MessageStatus.SPAM, "honeypot")


def test_a_form_sent_too_fast_does_not_use_up_the_rate_limit(app, client):
    app.config.update(CONSULT_MIN_FILL_SECONDS=60, CONSULT_RATE_LIMIT="1 per 10 minutes")
    for _ in range(3):
        client.post("/consult", data=valid(client), headers=HTMX)
    app.config["CONSULT_MIN_FILL_SECONDS"] = 0
    page = client.post("/consult", data=valid(client), headers=HTMX).get_data(as_text=True)
    assert CONFIRMATION in page


# Through a real server: nothing in any URL or access-log line


class Browser:
    """Cookies, a Referer like a browser's, and every URL that went by."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.page_url = ""
        self.urls: list[str] = []

    def open(self, path: str, form: dict | None = None) -> str:
        """GET ``path``, or POST ``form`` to it; follow redirects; return the page."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data)
        if self.page_url:
            request.add_header("Referer", self.page_url)
        with self.opener.open(request, timeout=30) as response:  # follows the 303
            page = response.read().decode()
            self.headers = response.headers
            self.page_url = response.url
        self.urls += [self.base + path, self.page_url]
        self.urls += re.findall(r'(?:href|action|src)="([^"]*)"', page)
        return page

    def submit(self, page: str, form_class: str, fields: dict) -> str:
        """Send the form of ``page`` with class ``form_class`` as a browser would: by its
        method to its action, with its hidden fields and ``fields``."""
        form = re.search(rf'<form[^>]*class="[^"]*{form_class}[^"]*"[^>]*>.*?</form>', page, re.S)
        tag = form.group(0)
        action = re.search(r'action="([^"]*)"', tag).group(1)
        values = dict(re.findall(r'name="([^"]+)" type="hidden" value="([^"]*)"', tag)) | fields
        if 'method="post"' in tag:
            return self.open(action, values)
        return self.open(f"{action}?{urllib.parse.urlencode(values)}")


def test_a_lookup_through_gunicorn_leaves_no_receipt_or_phone_in_urls_or_the_access_log(
    database_url, tmp_path
):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FLASK_SECRET_KEY": "live-test-secret",
        "FLASK_CONSULT_MIN_FILL_SECONDS": "0",
    }
    flask_command("init-db", env=env)
    port = free_port()
    access_log = tmp_path / "access.log"
    with open(tmp_path / "gunicorn.log", "w+b") as output:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "-w", "2",
             "-b", f"127.0.0.1:{port}", "--access-logfile", str(access_log),
             # the deployment's format, with the Referer added: a browser sends one
             "--access-logformat", '%(h)s "%(r)s" %(s)s "%(f)s" "%(a)s"',
             "wsgi:app"],
            cwd=ROOT, env=env, stdout=output, stderr=output,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, server, output)
            browser = Browser(base)
            question = {"name": "日志测试", "phone": "13698765432", "category": "其他",
                        "content": "查询时回执号和电话不应出现在网址里。"}  # fmt: skip
            sent = browser.submit(browser.open("/consult"), "consult-form", question)
            receipt = RECEIPT.search(sent).group(1)
            lookup_form = browser.open("/consult/status")
            assert f'value="{receipt}"' in lookup_form
            answer = {"receipt": receipt, "phone": "136 9876 5432"}
            result = browser.submit(lookup_form, "consult-status-form", answer)
            assert "查询时回执号和电话不应出现在网址里。" in result
            assert browser.headers["Cache-Control"] == "no-store"
        finally:
            server.terminate()
            server.wait(timeout=15)
    lines = access_log.read_text().splitlines()
    assert any('"POST /consult/status HTTP/1.1" 200' in line for line in lines)
    secrets = [receipt, "13698765432", "136 9876 5432", urllib.parse.quote_plus("136 9876 5432")]
    for text in browser.urls + lines:
        for secret in secrets:
            assert secret not in text, text
