"""Retention: ``flask --app wsgi purge`` forgets visitors once their questions are settled."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.consult import messages
from app.consult.retention import REDACTED, purge
from app.extensions import db
from app.models import AuditAction, AuditEvent, Message, MessageStatus, RateLimitHit, Role
from app.models.accounts import find_user
from app.models.audit import audit
from app.models.base import utcnow
from app.ratelimit import admit, forget_expired

DAY = timedelta(days=1)
OLD_VISITOR = {
    "name": "欧阳旧访客",
    "phone": "13600001111",
    "email": "ouyang.old@example.com",
    "company": "旧访客贸易有限公司",
    "category": "商事认证",
    "content": "请问原产地证书如何办理?",
}
OLD_IP = "198.51.100.23"
OLD_BROWSER = "Mozilla/5.0 OldVisitorBrowser/1.0"
PERSONAL = [*(OLD_VISITOR[f] for f in ("name", "phone", "email", "company")), OLD_IP, OLD_BROWSER]


def visitor(n: int) -> dict:
    return {
        "name": f"新访客{n}",
        "phone": f"1390000{n:04d}",
        "email": f"new{n}@example.com",
        "company": "",
        "category": "其他",
        "content": f"最近的咨询{n}",
    }


def backdate(message: Message, age: timedelta) -> None:
    """Move a message and everything that happened to it ``age`` into the past."""
    message.created_at -= age
    message.reply_due_at -= age
    if message.replied_at is not None:
        message.replied_at -= age
    for event in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.target == message.receipt)
    ):
        event.at -= age
    db.session.commit()


@pytest.fixture
def responder(app, auth):
    """A 负责人 with an e-mail address, so that every message queues a notice."""
    auth.create("chen", roles=[Role.RESPONDER], email="chen@council.example")
    with app.app_context():
        return find_user("chen").id


def answered_message(
    fields: dict, responder_id: int, age: timedelta, ip: str = OLD_IP, browser: str = OLD_BROWSER
) -> Message:
    """A message that came in through the form, was answered, and went quiet ``age`` ago.

    Its answer, a note and an audit entry from before answers left the audit log all quote
    the visitor; a mail told the visitor the answer was ready.
    """
    message = messages.create(dict(fields), ip=ip, user_agent=browser)
    staff = db.session.get(type(find_user("chen")), responder_id)
    answer = "已收到您的咨询，材料清单已发至您的邮箱。"
    assert (
        messages.reply(message, answer, staff, ip="10.0.0.5", seen_version=message.version) is None
    )
    messages.add_note(message, f"已电话联系 {fields['name']} {fields['phone']}", staff)
    audit(AuditAction.REPLY, actor="chen", target=message.receipt,
          detail=f"{fields['name']}您好，请致电 {fields['phone']}")  # fmt: skip
    db.session.commit()
    backdate(message, age)
    return message


def text_columns() -> list[sa.Column]:
    return [
        column
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.String)
    ]


def found_anywhere(needle: str) -> list[str]:
    """``table.column`` of every text column in the database that holds ``needle``."""
    return [
        f"{column.table.name}.{column.name}"
        for column in text_columns()
        if db.session.scalar(
            sa.select(sa.func.count()).select_from(column.table).where(column.contains(needle))
        )
    ]


def snapshot() -> dict:
    """Every row of every table."""
    return {
        table.name: sorted(map(repr, db.session.execute(sa.select(table)).all()))
        for table in db.metadata.sorted_tables
    }


def test_purge_leaves_no_personal_data_of_an_old_message_in_any_table(app, responder):
    with app.app_context():
        old = answered_message(OLD_VISITOR, responder, age=400 * DAY)
        assert found_anywhere(OLD_VISITOR["phone"]), "the test data must quote the phone"
        assert "outbox.recipient" in found_anywhere(OLD_VISITOR["email"])
        recent = answered_message(visitor(1), responder, 10 * DAY, "192.0.2.9", "NewBrowser/2")
        counts = purge(timedelta(days=365), timedelta(days=30))
        assert (counts.anonymised, counts.spam_deleted) == (1, 0)

        for needle in PERSONAL:
            assert found_anywhere(needle) == [], needle
        kept = db.session.get(Message, old.id)
        assert (kept.category, kept.content) == (OLD_VISITOR["category"], OLD_VISITOR["content"])
        assert kept.reply == "已收到您的咨询，材料清单已发至您的邮箱。"
        assert kept.anonymised_at is not None
        assert kept.status is MessageStatus.REPLIED
        legacy = db.session.scalar(
            sa.select(AuditEvent.detail).where(
                AuditEvent.target == old.receipt, AuditEvent.action == AuditAction.REPLY,
                AuditEvent.detail != "",
            )
        )  # fmt: skip
        assert legacy == REDACTED

        untouched = db.session.get(Message, recent.id)
        assert (untouched.name, untouched.phone, untouched.ip) == (
            "新访客1",
            "13900000001",
            "192.0.2.9",
        )
        assert untouched.anonymised_at is None
        assert found_anywhere("已电话联系 新访客1 13900000001") == ["message_notes.text"]
        assert "outbox.recipient" in found_anywhere("new1@example.com")


def test_after_purge_the_old_receipt_finds_nothing(app, client, responder):
    with app.app_context():
        receipt = answered_message(OLD_VISITOR, responder, age=400 * DAY).receipt
        purge(timedelta(days=365), timedelta(days=30))
    data = {"receipt": receipt, "phone": OLD_VISITOR["phone"]}
    page = client.post("/consult/status", data=data).get_data(as_text=True)
    assert "未找到" in page
    assert OLD_VISITOR["content"] not in page


def test_what_counts_is_the_last_thing_that_happened_to_a_message(app, auth, make_message):
    """An old question closed last week is not quiet yet; only settled ones are anonymised."""
    auth.create("chen", roles=[Role.RESPONDER])
    with app.app_context():
        staff = find_user("chen")
        now = utcnow()
        closed_long_ago = make_message(status=MessageStatus.CLOSED, created_at=now - 500 * DAY)
        closed_last_week = db.session.get(Message, make_message(created_at=now - 500 * DAY))
        assert messages.close(closed_last_week, staff) is None
        for event in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.target == closed_last_week.receipt)
        ):
            event.at = now - 7 * DAY
        pending_long_ago = make_message(created_at=now - 500 * DAY)
        db.session.commit()
        purge(timedelta(days=365), timedelta(days=30))
        phones = {m.id: m.phone for m in db.session.scalars(sa.select(Message)).all()}
    assert phones[closed_long_ago] == ""
    assert phones[closed_last_week.id] != ""
    assert phones[pending_long_ago] != ""  # still waiting for an answer: kept


def test_spam_is_deleted_after_the_spam_period(app, make_message):
    with app.app_context():
        now = utcnow()
        old_spam = make_message(status=MessageStatus.SPAM, spam_reason="honeypot",
                                created_at=now - 31 * DAY, name="垃圾发送者")  # fmt: skip
        new_spam = make_message(status=MessageStatus.SPAM, created_at=now - 29 * DAY)
        counts = purge(timedelta(days=365), timedelta(days=30))
        assert counts.spam_deleted == 1
        assert db.session.get(Message, old_spam) is None
        assert db.session.get(Message, new_spam) is not None
        assert found_anywhere("垃圾发送者") == []


def expired_rows(app) -> None:
    """Rate-limit rows: one inside and one past each window, and a scope nobody names."""
    now = utcnow()
    rows = [
        ("consult", "203.0.113.1", now - timedelta(minutes=11)),  # 10-minute window: gone
        ("consult", "203.0.113.2", now - timedelta(minutes=9)),
        ("login-ip", "203.0.113.3", now - timedelta(minutes=16)),  # 15-minute window: gone
        ("login-account", "zhang", now - timedelta(minutes=14)),
        ("other", "203.0.113.4", now - timedelta(days=2)),  # unknown scope: gone after a day
        ("other", "203.0.113.5", now - timedelta(hours=2)),
    ]
    db.session.add_all(RateLimitHit(scope=s, key=k, at=at) for s, k, at in rows)
    db.session.commit()


def test_rate_limit_rows_go_once_their_window_is_over(app):
    app.config.update(
        CONSULT_RATE_LIMIT="5 per 10 minutes", LOGIN_FAILURE_LIMIT="10 per 15 minutes"
    )
    with app.app_context():
        expired_rows(app)
        assert purge(timedelta(days=365), timedelta(days=30)).rate_limit_rows == 3
        left = db.session.scalars(sa.select(RateLimitHit.key).order_by(RateLimitHit.key)).all()
    assert left == ["203.0.113.2", "203.0.113.5", "zhang"]


def test_forgetting_expired_rows_keeps_counting_exact(app):
    with app.app_context():
        now = utcnow()
        db.session.add_all(
            RateLimitHit(scope="consult", key="198.51.100.1", at=now - timedelta(seconds=s))
            for s in (30, 90, 200)
        )
        db.session.commit()
        assert forget_expired({"consult": "2 per minute"}) == 2
        assert admit([("consult", "198.51.100.1")], "2 per minute")
        assert not admit([("consult", "198.51.100.1")], "2 per minute")


def test_dry_run_counts_and_changes_nothing(app, runner, responder, make_message):
    app.config.update(
        CONSULT_RATE_LIMIT="5 per 10 minutes", LOGIN_FAILURE_LIMIT="10 per 15 minutes"
    )
    with app.app_context():
        answered_message(OLD_VISITOR, responder, age=400 * DAY)
        make_message(status=MessageStatus.SPAM, created_at=utcnow() - 40 * DAY)
        expired_rows(app)
        before = snapshot()
    result = runner.invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "将匿名化 1 条答复或办结满 365 天的留言" in result.output
    assert "将删除 1 条满 30 天的垃圾留言" in result.output
    assert "将删除 3 条过期的提交频率记录" in result.output
    assert "试运行" in result.output
    with app.app_context():
        assert snapshot() == before


def test_the_command_takes_its_period_from_the_setting_or_older_than(app, runner, make_message):
    app.config.update(RETENTION_DAYS=100, SPAM_RETENTION_DAYS=7)
    with app.app_context():
        now = utcnow()
        make_message(status=MessageStatus.CLOSED, created_at=now - 150 * DAY)
        make_message(status=MessageStatus.CLOSED, created_at=now - 50 * DAY)
        make_message(status=MessageStatus.SPAM, created_at=now - 8 * DAY)
    result = runner.invoke(args=["purge"])
    assert "已匿名化 1 条答复或办结满 100 天的留言" in result.output
    assert "已删除 1 条满 7 天的垃圾留言" in result.output
    result = runner.invoke(args=["purge", "--older-than", "30"])
    assert "已匿名化 1 条答复或办结满 30 天的留言" in result.output
    with app.app_context():
        left = db.session.scalars(sa.select(Message.phone)).all()
    assert left == ["", ""]


def test_purge_twice_does_nothing_the_second_time(app, runner, make_message):
    with app.app_context():
        make_message(status=MessageStatus.REPLIED, created_at=utcnow() - 400 * DAY)
    runner.invoke(args=["purge"])
    with app.app_context():
        before = snapshot()
    assert "已匿名化 0 条" in runner.invoke(args=["purge"]).output
    with app.app_context():
        assert snapshot() == before
