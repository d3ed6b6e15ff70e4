"""E-mail notifications against a real SMTP server (aiosmtpd on 127.0.0.1, started per test).

What a 负责人 or a visitor would notice: who gets which mail, what it says (and never
says), that nothing is lost while the server is down, and that no mail arrives twice,
even from two ``send-mail`` processes at once.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.consult import messages
from app.extensions import db
from app.mail import notices
from app.mail.outbox import retry_delay, send_due
from app.models import Message, MessageStatus, Outbox, OutboxKind, Role
from app.models.base import utcnow
from tests.conftest import migrated_app
from tests.helpers import SmtpServer, started_token

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")
SITE = "https://www.example.org.cn"
PHONE = "13812345678"
VISITOR = "visitor@example.com"


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(app, smtp):
    """The test app sending to the test's SMTP server, with a public address for links."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, SITE_URL=SITE)
    return app


@pytest.fixture
def responders(auth):
    """Two 负责人 with addresses, and accounts that must not be mailed."""
    auth.create("zhang", roles=[Role.RESPONDER], email="zhang@ccpit.example")
    auth.create("li", roles=[Role.RESPONDER, Role.EDITOR], email="li@ccpit.example")
    auth.create("wang", roles=[Role.RESPONDER])  # no address
    auth.create("zhao", roles=[Role.EDITOR], email="zhao@ccpit.example")  # not a 负责人
    auth.create("qian", roles=[Role.RESPONDER], email="qian@ccpit.example", active=False)
    return ["zhang@ccpit.example", "li@ccpit.example"]


def send(app, **kwargs):
    with app.app_context():
        return send_due(**kwargs)


def outbox(app) -> list[Outbox]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Outbox).order_by(Outbox.id)).all()
        db.session.expunge_all()
        return rows


def arrived(app, message_id: int) -> None:
    """What storing a message does (``make_message`` skips it); a second call adds nothing."""
    with app.app_context():
        notices.message_arrived(db.session.get(Message, message_id))
        db.session.commit()


def text_of(mail: email.message.EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content()


def links(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def post_question(app, client, **fields) -> int:
    """Send the consultation form as a visitor does; return the stored message's id."""
    app.config["CONSULT_MIN_FILL_SECONDS"] = 0
    started = started_token(client)
    data = {
        "name": "张三",
        "phone": "138 1234 5678",
        "email": VISITOR,
        "company": "上海某某进出口有限公司",
        "category": "商事认证",
        "content": f"请问办理原产地证书需要哪些材料?\n急用，请打 138-1234-5678 或写信 {VISITOR}",
        "website": "",
        "started": started,
    } | fields
    assert client.post("/consult", data=data).status_code == 303
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Message.id)))


def test_a_question_mails_each_responder_once(mail_app, client, smtp, responders):
    message_id = post_question(mail_app, client)  # queues the mails in its own transaction
    assert len(outbox(mail_app)) == 2 and not smtp.inbox.raw  # nothing sent in the request
    arrived(mail_app, message_id)  # asked again: still one mail each

    report = send(mail_app)
    assert (report.sent, report.failed) == (2, 0)
    assert sorted(rcpt for _from, (rcpt,) in smtp.inbox.envelopes) == sorted(responders)
    mail = smtp.inbox.to("zhang@ccpit.example")[0]
    assert mail["Subject"].startswith("新留言 · 商事认证 · 请于")
    body = text_of(mail)
    assert "请问办理原产地证书需要哪些材料?" in body
    assert links(body) == [f"{SITE}/admin/messages/{message_id}"]
    assert send(mail_app).sent == 0 and len(smtp.inbox.raw) == 2


def test_no_mail_ever_carries_the_visitors_phone_or_address(mail_app, client, smtp, responders):
    """Not in the header, not in the text, not even where the visitor typed them."""
    message_id = post_question(mail_app, client)
    arrived(mail_app, message_id)
    with mail_app.app_context():
        notices.queue_reminders(utcnow() + timedelta(hours=30))
        notices.answer_ready(db.session.get(Message, message_id))
        db.session.commit()
    assert send(mail_app).sent == 5  # 2 new-message, 2 overdue, 1 to the visitor
    for raw in smtp.inbox.raw:
        digits = re.sub(r"\D", "", raw.decode("ascii", "replace"))
        decoded = email.message_from_bytes(raw, policy=email.policy.default)
        text = text_of(decoded) + decoded["Subject"]
        assert PHONE not in re.sub(r"\D", "", text) and PHONE not in digits
    for mail in smtp.inbox.mails:
        if mail["To"] != VISITOR:
            assert VISITOR not in text_of(mail) and "[已隐去]" in text_of(mail)
            assert "张三" not in text_of(mail)


def test_spam_mails_nobody(mail_app, client, smtp, responders):
    message_id = post_question(mail_app, client, website="http://spam.example")
    arrived(mail_app, message_id)
    assert outbox(mail_app) == [] and send(mail_app).sent == 0


def test_a_reply_tells_the_visitor_where_to_read_it(mail_app, client, auth, smtp, make_message):
    message_id = make_message(phone=PHONE, email=VISITOR, content="请问展会补贴如何申请?")
    no_address = make_message(phone="13900001111", email="")
    auth.login("answerer", roles=[Role.RESPONDER])
    for target in (message_id, no_address):
        reply = {"reply": "请致电 010-62345678 咨询展览部。", "version": 1}
        client.post(f"/admin/messages/{target}/reply", data=reply)

    assert send(mail_app).sent == 1
    (mail,) = smtp.inbox.mails
    body = text_of(mail)
    with mail_app.app_context():
        receipt = db.session.get(Message, message_id).receipt
    assert mail["To"] == VISITOR and mail["Subject"].startswith("您的咨询已有答复")
    assert f"回执号：{receipt}" in body
    assert links(body) == [f"{SITE}/consult/status"]
    assert "展览部" not in body and "62345678" not in body  # the answer stays on the site


def test_an_updated_answer_is_mailed_again_once_the_first_mail_went(mail_app, smtp, make_message):
    message_id = make_message(email=VISITOR, status=MessageStatus.REPLIED, reply="答复一")
    with mail_app.app_context():
        message = db.session.get(Message, message_id)
        assert notices.answer_ready(message)
        db.session.commit()
        assert not notices.answer_ready(message)  # the first mail still waits: it says it all
    send(mail_app)
    with mail_app.app_context():
        assert notices.answer_ready(db.session.get(Message, message_id))
        db.session.commit()
    send(mail_app)
    subjects = [mail["Subject"] for mail in smtp.inbox.mails]
    assert [s.split(" - ")[0] for s in subjects] == ["您的咨询已有答复", "您的咨询答复已更新"]


def test_smtp_down_loses_nothing_and_backs_off(mail_app, smtp, make_message, responders):
    smtp.stop()
    for _ in range(3):
        arrived(mail_app, make_message())
    now = utcnow()

    report = send(mail_app, now=now)
    assert (report.sent, report.failed, report.stopped_early) == (0, 1, True)
    rows = outbox(mail_app)
    assert len(rows) == 6 and not any(row.sent_at for row in rows)
    tried = [row for row in rows if row.attempts]
    assert len(tried) == 1 and "ConnectionRefusedError" in tried[0].last_error
    assert tried[0].next_attempt_at == now + timedelta(minutes=1)
    assert tried[0].claimed_by is None

    later = now + timedelta(seconds=30)  # the failed one waits; the next one is tried
    send(mail_app, now=later)
    assert sum(row.attempts for row in outbox(mail_app)) == 2

    smtp.start()
    assert send(mail_app, now=later).sent == 4  # the two that failed still wait their turn
    report = send(mail_app, now=now + timedelta(minutes=5))
    assert report.sent == 2 and len(smtp.inbox.raw) == 6
    assert len({mail["Message-ID"] for mail in smtp.inbox.mails}) == 6
    assert all(row.sent_at and not row.last_error for row in outbox(mail_app))


def test_gives_up_after_max_attempts_and_the_admin_shows_it(
    mail_app, client, auth, smtp, make_message, responders
):
    mail_app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp.stop()
    with mail_app.app_context():
        db.session.add(
            Outbox(
                kind=OutboxKind.NEW_MESSAGE, recipient="a@ccpit.example", subject="测试", body="x"
            )
        )
        db.session.commit()
    now = utcnow()
    waits = []
    for _ in range(3):
        send(mail_app, now=now)
        (row,) = outbox(mail_app)
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert (
        waits
        == [retry_delay(1), retry_delay(2), retry_delay(3)]
        == [timedelta(minutes=m) for m in (1, 2, 4)]
    )
    assert row.given_up_at is not None and row.attempts == 3
    assert send(mail_app, now=now + timedelta(days=1)).failed == 0  # no fourth try

    auth.login("zhang")
    header = client.get("/admin/messages").get_data(as_text=True)
    assert "邮件发送失败 1" in header
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "a@ccpit.example" in page and "ConnectionRefusedError" in page and "3 次" in page


def test_reminders_come_once_each(mail_app, smtp, make_message, responders, runner):
    now = utcnow()
    soon = make_message(created_at=now - timedelta(hours=21))  # 3 hours left
    make_message(created_at=now - timedelta(hours=19))  # 5 hours left: not yet
    late = make_message(created_at=now - timedelta(hours=30))  # overdue already
    make_message(created_at=now - timedelta(hours=30), status=MessageStatus.REPLIED, reply="好")
    make_message(created_at=now - timedelta(hours=30), status=MessageStatus.SPAM)

    def queue(at):
        with mail_app.app_context():
            added = notices.queue_reminders(at)
            db.session.commit()
            return added

    assert queue(now) == 4 and queue(now) == 0
    kinds = {(row.message_id, row.kind) for row in outbox(mail_app)}
    assert kinds == {(soon, OutboxKind.DUE_SOON), (late, OutboxKind.OVERDUE)}
    assert queue(now + timedelta(hours=4)) == 4  # the first is overdue now; the 19-hour one near
    assert queue(now + timedelta(hours=4)) == 0
    assert queue(now + timedelta(days=3)) == 2 and queue(now + timedelta(days=3)) == 0

    result = runner.invoke(args=["send-mail"])
    assert "已发送 10 封;队列中还有 0 封。" in result.output
    subjects = sorted(mail["Subject"].split(" · ")[0] for mail in smtp.inbox.to(responders[0]))
    assert subjects == ["留言即将超时"] * 2 + ["留言已超时"] * 3
    assert all(
        links(text_of(mail))[0].startswith(SITE + "/admin/messages/") for mail in smtp.inbox.mails
    )


def test_chinese_subject_and_sender_are_encoded_and_decode_back(mail_app, smtp, make_message):
    mail_app.config["MAIL_DEFAULT_SENDER"] = "noreply@example.org.cn"
    with mail_app.app_context():
        message = db.session.get(Message, make_message(email=VISITOR, category="知识产权"))
        notices.answer_ready(message)
        db.session.commit()
    send(mail_app)
    (raw,) = smtp.inbox.raw
    header = raw.split(b"\r\n\r\n", 1)[0]
    header.decode("ascii")  # 7-bit headers: every server takes them
    assert b"=?utf-8?" in header
    (mail,) = smtp.inbox.mails
    assert mail["Subject"] == "您的咨询已有答复 - 国际贸易促进委员会"
    assert mail["From"].addresses[0].display_name == "国际贸易促进委员会"
    assert mail["From"].addresses[0].addr_spec == "noreply@example.org.cn"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert "提交的咨询已有答复。" in text_of(mail)


def test_links_ignore_the_requests_host(mail_app, make_message, responders):
    message_id = make_message()
    with mail_app.test_request_context("/consult", base_url="http://attacker.example"):
        notices.message_arrived(db.session.get(Message, message_id))
        db.session.commit()
    assert all(
        links(row.body) == [f"{SITE}/admin/messages/{message_id}"] for row in outbox(mail_app)
    )


def test_anonymising_a_message_deletes_its_mails(mail_app, make_message, responders):
    message_id = make_message(email=VISITOR, status=MessageStatus.REPLIED, reply="答复")
    arrived(mail_app, message_id)
    with mail_app.app_context():
        message = db.session.get(Message, message_id)
        notices.answer_ready(message)
        db.session.commit()
        assert len(outbox(mail_app)) == 3
        assert messages.anonymise(message, messages.SYSTEM) is None
    assert outbox(mail_app) == []


def test_deleting_a_message_deletes_its_mails(mail_app, client, auth, make_message, responders):
    message_id = make_message(email=VISITOR)
    arrived(mail_app, message_id)
    with mail_app.app_context():
        notices.answer_ready(db.session.get(Message, message_id))
        db.session.commit()
    assert len(outbox(mail_app)) == 3
    auth.login("zhang")
    assert client.post(f"/admin/messages/{message_id}/delete").status_code == 303
    assert outbox(mail_app) == []


def test_without_a_mail_server_mail_stays_queued(
    app, client, auth, runner, make_message, responders
):
    assert app.config["MAIL_SERVER"] == ""  # the default, as under `make run`
    arrived(app, make_message())
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0
    assert "未配置邮件服务器(MAIL_SERVER),2 封邮件保留在队列中。" in result.output
    assert [row.attempts for row in outbox(app)] == [0, 0]

    auth.login("zhang")
    assert "邮件未配置" in client.get("/admin/messages").get_data(as_text=True)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "等待发送 2 封" in page and "zhang@ccpit.example" in page


def test_the_mail_page_is_for_responders_and_admins(client, auth):
    auth.login("editor", roles=[Role.EDITOR])
    assert "邮件未配置" not in client.get("/admin/articles/").get_data(as_text=True)
    assert client.get("/admin/mail").status_code == 403
    auth.logout()
    auth.login("admin", roles=[Role.ADMIN])
    assert client.get("/admin/mail").status_code == 200


# Two sender processes at once ------------------------------------------------------------


def sender_env(app, smtp, **extra) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "FLASK_SECRET_KEY": "mail-test",
        "FLASK_MAIL_SERVER": "127.0.0.1",
        "FLASK_MAIL_PORT": str(smtp.port),
        "FLASK_SITE_URL": SITE,
        **extra,
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def race_app(request, tmp_path, monkeypatch):
    """An app on SQLite, or on the PostgreSQL of DATABASE_URL (skipped without one)."""
    if request.param == "postgresql":
        if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
            pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
        request.getfixturevalue("app")  # empties the database
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    app = migrated_app(tmp_path / "race.db")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_two_senders_at_once_send_every_mail_exactly_once(race_app):
    smtp = SmtpServer(delay=0.02)
    smtp.start()
    try:
        with race_app.app_context():
            db.session.add_all(
                Outbox(
                    kind=OutboxKind.NEW_MESSAGE,
                    recipient=f"staff{n}@ccpit.example",
                    subject=f"第 {n} 封",
                    body="内容",
                )
                for n in range(60)
            )
            db.session.commit()
        env = sender_env(race_app, smtp)
        senders = [
            subprocess.Popen(
                [FLASK, "--app", "wsgi", "send-mail"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [sender.communicate(timeout=120)[0] for sender in senders]
    finally:
        smtp.stop()
    assert all(sender.returncode == 0 for sender in senders)
    subjects = sorted(mail["Subject"] for mail in smtp.inbox.mails)
    assert subjects == sorted(f"第 {n} 封" for n in range(60))
    sent = [int(re.search(r"已发送 (\d+) 封", out).group(1)) for out in outputs]
    assert sum(sent) == 60
    assert all(row.sent_at for row in outbox(race_app))


def test_loop_sends_then_stops_cleanly_on_sigterm(mail_app, smtp, make_message, responders):
    arrived(mail_app, make_message())
    sender = subprocess.Popen(
        [FLASK, "--app", "wsgi", "send-mail", "--loop"],
        cwd=ROOT,
        env=sender_env(mail_app, smtp, FLASK_MAIL_POLL_SECONDS="0.2"),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while len(smtp.inbox.raw) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        arrived(mail_app, make_message())  # a message arriving while it runs
        while len(smtp.inbox.raw) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        sender.send_signal(signal.SIGTERM)
        output = sender.communicate(timeout=15)[0]
    finally:
        if sender.poll() is None:
            sender.kill()
    assert sender.returncode == 0 and len(smtp.inbox.raw) == 4
    assert "邮件发送进程已停止。" in output
