"""The message domain (``app.consult.messages``) called directly, as CLI jobs and the notifier
call it: arrival, answers, claims, notes, forgetting the visitor, and the deadline."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.consult import messages
from app.extensions import db
from app.models import AuditAction, AuditEvent, Message, MessageStatus, User
from app.models.base import LOCAL_TZ, utcnow
from app.models.consult import REPLY_PROMISE, MessageAnswer, MessageClaim, MessageNote

VISITOR = {
    "name": "隐私姓名",
    "phone": "13312345678",
    "email": "visitor@example.com",
    "company": "某某外贸公司",
    "category": "贸易指南",
    "content": "请问出口退税怎么办理?",
}


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def boss(ctx, auth):
    return db.session.get(User, auth.create())


@pytest.fixture
def li(ctx, auth):
    return db.session.get(User, auth.create(username="li"))


def arrive(**fields) -> Message:
    return messages.create({**VISITOR, **fields}, ip="203.0.113.9", user_agent="测试浏览器/1.0")


def audit_of(message) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.target == message.receipt)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def beijing(*args) -> datetime:
    """A Beijing wall-clock time as the naive UTC the database stores."""
    return datetime(*args, tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


# Arrival


def test_create_stores_a_pending_message_with_its_deadline(ctx):
    message = arrive()
    assert message.id and message.status == MessageStatus.PENDING
    assert len(message.receipt) == 10 and message.ip == "203.0.113.9"
    assert message.reply_due_at == message.created_at + REPLY_PROMISE
    assert abs(message.created_at - utcnow()) < timedelta(seconds=10)


def test_create_files_spam_with_its_reason(ctx):
    message = messages.create(dict(VISITOR), spam="honeypot")
    assert (message.status, message.spam_reason) == (MessageStatus.SPAM, "honeypot")


def test_created_is_signalled_inside_the_transaction(ctx):
    """Receivers (the notifier's outbox) run before the commit, so their rows share it."""
    seen = []

    def receiver(message, **_):
        with db.engine.connect() as elsewhere:
            committed = elsewhere.scalar(sa.select(sa.func.count()).select_from(Message))
        seen.append((message.id, message.receipt, committed))

    messages.created.connect(receiver)
    try:
        message = arrive()
    finally:
        messages.created.disconnect(receiver)
    assert seen == [(message.id, message.receipt, 0)]


def test_a_receipt_taken_already_is_drawn_again(ctx, monkeypatch):
    first = arrive()
    drawn = iter([first.receipt, "NEWRECEIPT"])
    monkeypatch.setattr(messages, "new_receipt", lambda: next(drawn))
    second = arrive(name="第二位")
    assert second.receipt == "NEWRECEIPT"
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 2


# Answers


def test_the_system_can_answer_and_is_named_so(ctx):
    message = arrive()
    assert messages.reply(message, "您好", messages.SYSTEM, seen_version=message.version) is None
    assert (message.status, message.reply, message.replied_by) == (
        MessageStatus.REPLIED,
        "您好",
        None,
    )
    assert [(e.action, e.actor) for e in audit_of(message)] == [
        (AuditAction.REPLY, "系统"),
        (AuditAction.STATUS, "系统"),
    ]
    assert [a.author for a in message.answers] == ["系统"]
    assert messages.actor_name(messages.SYSTEM) == messages.SYSTEM.name == "系统"


def test_reply_refuses_a_second_first_answer(ctx, boss):
    message = arrive()
    messages.reply(message, "第一次", boss, seen_version=message.version)
    refused = messages.reply(message, "第二次", boss, seen_version=message.version)
    assert "更新答复" in refused and message.reply == "第一次"


def test_update_reply_keeps_the_earlier_answer_and_the_first_time(ctx, boss, li):
    message = arrive()
    messages.reply(message, "原答复，电话 13312345678", boss, seen_version=message.version)
    first_time = message.replied_at
    assert not message.reply_updated
    error = messages.update_reply(message, "更正后的答复", li, seen_version=message.version)
    assert error is None
    assert message.reply == "更正后的答复" and message.replied_by == li
    assert message.replied_at == first_time and message.reply_updated
    assert [(a.text, a.author) for a in message.answers] == [
        ("原答复，电话 13312345678", "boss"),
        ("更正后的答复", "li"),
    ]
    titles = [entry.title for entry in messages.timeline(message)]
    assert titles == ["收到留言", "答复", "状态变更", "更新答复"]
    for event in audit_of(message):  # the answers are not copied into the audit log
        assert "13312345678" not in event.detail and "答复，" not in event.detail


def test_updating_to_the_same_text_changes_nothing(ctx, boss):
    message = arrive()
    messages.reply(message, "答复", boss, seen_version=message.version)
    assert messages.update_reply(message, "答复", boss, seen_version=message.version) is None
    assert len(message.answers) == 1 and not message.reply_updated


def test_an_answer_against_an_older_version_is_refused(ctx, boss):
    message = arrive()
    seen = message.version
    messages.add_note(message, "备注和认领不改变留言本身", boss)
    messages.claim(message, boss)
    assert message.version == seen
    messages.close(message, boss)
    messages.reopen(message, boss)
    assert messages.reply(message, "答复", boss, seen_version=seen) == (
        messages.REPLY_CHANGED_MEANWHILE
    )
    assert message.reply == "" and message.answers == []


@pytest.mark.parametrize(
    ("step", "status"),
    [
        (messages.close, MessageStatus.CLOSED),
        (messages.mark_spam, MessageStatus.SPAM),
    ],
)
def test_status_steps_by_the_system(ctx, step, status):
    message = arrive()
    assert step(message, messages.SYSTEM) is None
    assert message.status == status
    (event,) = audit_of(message)
    assert (event.actor, event.detail) == ("系统", f"待处理 → {status.label}")


# Claims and notes


def test_a_claim_is_held_until_released(ctx, boss, li):
    message = arrive()
    assert messages.claim(message, boss) is None and message.claimed_by == boss
    assert messages.claim(message, li) == "该留言已由 boss 认领。"
    assert message.claimed_by == boss
    assert messages.unclaim(message, li) is None and message.claimed_by is None
    assert [e.detail for e in audit_of(message)] == ["认领", "取消 boss 的认领"]
    shown = [(e.title, e.actor, e.detail) for e in messages.timeline(message)][1:]
    assert shown == [("认领", "boss", ""), ("取消认领", "li", "取消 boss 的认领")]


def test_two_claims_at_once_cannot_both_win(ctx, boss, li):
    message = arrive()
    assert message.claimed_by is None  # loaded before the colleague's claim lands
    with db.engine.begin() as elsewhere:
        elsewhere.execute(
            sa.insert(MessageClaim).values(message_id=message.id, user_id=li.id, at=utcnow())
        )
    assert messages.claim(message, boss) == "该留言已由 li 认领。"
    assert message.claimed_by == li
    assert audit_of(message) == []


def test_notes_are_kept_apart_from_the_audit_log(ctx, boss):
    message = arrive()
    messages.add_note(message, "客户来电说 13312345678 可以联系", boss)
    assert [(n.text, n.author) for n in message.notes] == [
        ("客户来电说 13312345678 可以联系", "boss")
    ]
    (event,) = audit_of(message)
    assert "13312345678" not in event.detail
    (entry,) = [e for e in messages.timeline(message) if e.kind == "note"]
    assert (entry.title, entry.actor) == ("内部备注", "boss")


# Forgetting the visitor


def every_text_holding(*needles) -> list[tuple[str, str]]:
    """``(table, column)`` of every text value in the database that contains a needle."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, sa.String | sa.Text):
                continue
            for needle in needles:
                hit = sa.select(sa.func.count()).where(column.contains(needle, autoescape=True))
                if db.session.scalar(hit.select_from(table)):
                    found.append((table.name, column.name))
    return found


def handled(message, boss):
    messages.claim(message, boss)
    messages.add_note(message, "隐私姓名 先生来电", boss)
    messages.reply(message, "隐私姓名您好，已回电 13312345678", boss, seen_version=message.version)
    messages.update_reply(message, "您好，详见附件。", boss, seen_version=message.version)
    messages.close(message, boss)


def test_anonymise_clears_every_personal_field_and_copy(ctx, boss):
    message = arrive()
    handled(message, boss)
    assert every_text_holding("13312345678", "隐私姓名")  # the test can see them at all
    assert messages.anonymise(message, messages.SYSTEM) is None
    db.session.expire_all()
    kept = db.session.get(Message, message.id)
    for name in messages.PERSONAL_FIELDS:
        assert getattr(kept, name) == "", name
    assert (kept.category, kept.content, kept.reply) == (
        "贸易指南",
        VISITOR["content"],
        "您好，详见附件。",
    )
    assert kept.created_at and kept.replied_at and kept.anonymised_at
    assert kept.answers == [] and kept.notes == []
    assert every_text_holding("13312345678", "隐私姓名", "visitor@example.com", "某某外贸") == []
    assert every_text_holding("203.0.113.9", "测试浏览器") == []


def test_delete_leaves_only_a_tombstone(ctx, boss):
    message = arrive()
    handled(message, boss)
    receipt = message.receipt
    assert messages.delete(message, boss) is None
    assert db.session.scalar(sa.select(sa.func.count(MessageAnswer.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(MessageNote.id))) == 0
    assert every_text_holding("13312345678", "隐私姓名", "visitor@example.com", "某某外贸") == []
    tombstone = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == AuditAction.DELETE)
    )
    assert tombstone.target == receipt and "类别：贸易指南" in tombstone.detail


def test_forgetting_is_signalled_before_the_data_goes(ctx, boss):
    seen = []

    def receiver(message, **_):
        seen.append(message.phone)

    messages.forgetting.connect(receiver)
    try:
        messages.anonymise(arrive(), boss)
        messages.delete(arrive(), boss)
    finally:
        messages.forgetting.disconnect(receiver)
    assert seen == ["13312345678", "13312345678"]


# The deadline in working hours


@pytest.fixture
def working_hours(app):
    app.config["REPLY_WORKING_HOURS"] = True
    with app.app_context():
        yield


@pytest.mark.parametrize(
    ("sent", "due"),
    [
        # Tuesday before 国庆 2025 (1–8 October off): 14 hours that day, 10 on 9 October.
        ((2025, 9, 30, 10, 0), (2025, 10, 9, 10, 0)),
        # During the holiday: the clock starts on 9 October, the first working day.
        ((2025, 10, 3, 12, 0), (2025, 10, 10, 0, 0)),
        # Saturday 27 September; Sunday 28 September is a 调休 working day.
        ((2025, 9, 27, 15, 0), (2025, 9, 29, 0, 0)),
        # Friday 10 October; Saturday 11 October is a 调休 working day.
        ((2025, 10, 10, 18, 0), (2025, 10, 11, 18, 0)),
        # An ordinary Friday: the weekend does not count.
        ((2025, 11, 7, 16, 30), (2025, 11, 10, 16, 30)),
        # 国庆 2026 (1–7 October off): the package knows 2026.
        ((2026, 9, 30, 9, 0), (2026, 10, 8, 9, 0)),
    ],
)
def test_working_hours_skip_weekends_and_holidays(working_hours, sent, due):
    assert messages.due_at(beijing(*sent)) == beijing(*due)


def test_a_year_the_calendar_does_not_know_counts_monday_to_friday(working_hours):
    assert messages.due_at(beijing(2035, 1, 5, 10, 0)) == beijing(2035, 1, 8, 10, 0)  # Fri → Mon


def test_the_default_promise_is_24_clock_hours(ctx):
    sent = beijing(2025, 9, 30, 10, 0)
    assert messages.due_at(sent) == sent + timedelta(hours=24)
    assert messages.promise_text() == "24小时"


def test_a_message_arriving_with_working_hours_on_gets_a_working_deadline(working_hours):
    message = Message(**VISITOR, created_at=beijing(2025, 9, 30, 10, 0))
    db.session.add(message)
    db.session.commit()
    assert message.reply_due_at == beijing(2025, 10, 9, 10, 0)
    assert messages.deadline(message, beijing(2025, 10, 5, 0, 0)).state == "open"
    assert messages.promise_text() == "工作日24小时"


# The migration that moved answers out of the audit log


def test_the_migration_keeps_answers_and_removes_them_from_the_audit_log(app):
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        downgrade(revision="2b50f8ebf2c6-1")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO messages (receipt, name, phone, email, company, category, content,"
                    " status, spam_reason, reply, replied_at, created_at, ip, user_agent, version)"
                    " VALUES ('OLDRECEIPT', '旧访客', '13355556666', '', '', '其他', '问题',"
                    " 'replied', '', '旧答复 13355556666', '2026-03-01 10:00:00.000000',"
                    " '2026-03-01 08:00:00.000000', '', '', 2)"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO audit_events (at, actor, action, target, ip, detail) VALUES"
                    " ('2026-03-01 10:00:00.000000', 'boss', 'reply', 'OLDRECEIPT', '',"
                    " '旧答复 13355556666')"
                )
            )
        upgrade()
        message = db.session.scalar(sa.select(Message).filter_by(receipt="OLDRECEIPT"))
        assert message.reply_due_at == datetime(2026, 3, 2, 8, 0)
        assert [(a.text, a.at) for a in message.answers] == [
            ("旧答复 13355556666", datetime(2026, 3, 1, 10, 0))
        ]
        assert db.session.scalars(sa.select(AuditEvent.detail)).all() == [""]
