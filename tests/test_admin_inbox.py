"""The inbox, the message page and its actions, CSV export and the audit log."""

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import AuditAction, AuditEvent, Message, MessageStatus
from app.models.base import utcnow

HTMX = {"HX-Request": "true"}
XSS = "<script>alert(1)</script>"
QUOTES = "\"'><img src=x onerror=alert(2)>"


@pytest.fixture
def staff(auth):
    """The test client, signed in as ``boss``."""
    auth.login()
    return auth._client


def get_message(app, message_id):
    with app.app_context():
        return db.session.get(Message, message_id, options=[selectinload(Message.replied_by)])


def events(app, action=None):
    with app.app_context():
        query = sa.select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return db.session.scalars(query).all()


def ago(**delta):
    return utcnow() - timedelta(**delta)


# The inbox


def test_inbox_sorted_by_newest_lists_newest_first_twenty_a_page(staff, make_message):
    for n in range(25):
        make_message(name=f"访客{n:02d}", created_at=ago(hours=50 - n))
    first = staff.get("/admin/messages?sort=newest").get_data(as_text=True)
    assert first.index("访客24") < first.index("访客23")
    assert first.count('class="receipt"') == 20
    assert "访客04" not in first
    second = staff.get("/admin/messages?sort=newest&page=2").get_data(as_text=True)
    assert second.count('class="receipt"') == 5 and "访客00" in second


def test_inbox_puts_the_oldest_deadline_first_twenty_a_page(staff, make_message):
    for n in range(25):
        make_message(name=f"访客{n:02d}", created_at=ago(hours=50 - n))
    first = staff.get("/admin/messages").get_data(as_text=True)
    assert first.index("访客00") < first.index("访客01")
    assert first.count('class="receipt"') == 20
    assert "访客20" not in first
    second = staff.get("/admin/messages?page=2").get_data(as_text=True)
    assert second.count('class="receipt"') == 5 and "访客24" in second


def test_inbox_shows_the_columns_and_the_first_line(staff, make_message):
    make_message(
        name="张三", phone="13912345678", category="商事认证", content="\n第一行问题\n第二行"
    )
    page = staff.get("/admin/messages").get_data(as_text=True)
    for column in ("回执号", "时间", "姓名", "电话", "类别", "内容", "状态", "答复期限", "处理人"):
        assert f'<th scope="col">{column}</th>' in page
    assert "张三" in page and "13912345678" in page and "商事认证" in page
    assert "第一行问题" in page and "第二行" not in page
    assert '<span class="status status--pending">待处理</span>' in page


def test_deadline_shows_time_left_or_hours_overdue_in_red(staff, make_message):
    make_message(name="新留言", created_at=ago(hours=2))
    make_message(name="旧留言", created_at=ago(hours=30, minutes=10))
    page = staff.get("/admin/messages").get_data(as_text=True)
    assert '<td data-label="答复期限" class="deadline deadline--open">剩余 21 小时' in page
    assert '<td data-label="答复期限" class="deadline deadline--overdue">已超时 6 小时</td>' in page


def test_header_counts_pending_and_overdue(staff, make_message):
    make_message(created_at=ago(hours=1))
    make_message(created_at=ago(hours=25))
    make_message(created_at=ago(hours=26))
    make_message(status=MessageStatus.REPLIED, created_at=ago(hours=40))
    make_message(status=MessageStatus.SPAM, created_at=ago(hours=40))
    page = staff.get("/admin/messages").get_data(as_text=True)
    assert '<strong class="inbox-counts__pending">3</strong>' in page
    assert '<strong class="inbox-counts__overdue">2</strong>' in page
    poll = staff.get("/admin/messages/counts", headers=HTMX)
    fragment = poll.get_data(as_text=True)
    assert "<html" not in fragment
    assert 'data-hx-trigger="every 15s' in fragment
    assert '<strong class="inbox-counts__pending">3</strong>' in fragment


def test_spam_appears_only_under_the_spam_filter(staff, make_message):
    make_message(name="正常访客")
    make_message(name="机器人", status=MessageStatus.SPAM, spam_reason="honeypot")
    everything = staff.get("/admin/messages").get_data(as_text=True)
    assert "正常访客" in everything and "机器人" not in everything
    spam = staff.get("/admin/messages?status=spam").get_data(as_text=True)
    assert "机器人" in spam and "正常访客" not in spam


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=replied", {"已答复者"}),
        ("status=closed", {"已关闭者"}),
        ("status=pending", {"李四", "王五"}),
        ("category=知识产权", {"王五"}),
        ("q=李", {"李四"}),
        ("q=13700001111", {"王五"}),
        ("q=外贸公司", {"李四"}),
        ("q=商标", {"王五"}),
        ("q=100%25", {"已关闭者"}),
        ("status=pending&category=知识产权&q=商标", {"王五"}),
        ("status=bogus", {"李四", "王五", "已答复者", "已关闭者"}),
    ],
)
def test_filters_and_search(staff, make_message, query, expected):
    make_message(name="李四", company="某某外贸公司", content="出口退税")
    make_message(name="王五", phone="13700001111", category="知识产权", content="商标注册")
    make_message(name="已答复者", status=MessageStatus.REPLIED, reply="好的")
    make_message(name="已关闭者", status=MessageStatus.CLOSED, content="100% 确定")
    page = staff.get(f"/admin/messages?{query}").get_data(as_text=True)
    shown = {name for name in ("李四", "王五", "已答复者", "已关闭者") if f">{name}<" in page}
    assert shown == expected


def test_pagination_keeps_the_filters(staff, make_message):
    for _ in range(21):
        make_message(category="法律咨询", content="合同纠纷")
    page = staff.get("/admin/messages?category=法律咨询&q=合同").get_data(as_text=True)
    assert (
        'href="/admin/messages?page=2&amp;category=%E6%B3%95%E5%BE%8B%E5%92%A8%E8%AF%A2&amp;q=%E5%90%88%E5%90%8C"'
        in page
    )


def test_inbox_answers_htmx_with_the_list_only(staff, make_message):
    make_message(name="片段访客")
    response = staff.get("/admin/messages?q=片段", headers=HTMX)
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="inbox-list"')
    assert "片段访客" in fragment
    assert "HX-Request" in response.headers["Vary"]


def test_the_inbox_shows_the_list_and_no_report(staff, make_message):
    make_message(name="列表访客")
    page = staff.get("/admin/messages").get_data(as_text=True)
    assert "列表访客" in page
    assert "<dt>收到</dt>" not in page and "答复承诺" not in page
    assert '<a href="/admin/report">报告</a>' in page


# The message page and its actions


def test_message_page_shows_every_field_and_the_timeline(staff, make_message):
    message_id = make_message(
        name="赵六",
        phone="13600000000",
        email="zhao@example.com",
        company="赵氏贸易",
        category="商事调解",
        content="第一段\n第二段",
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 测试浏览器",
        created_at=ago(hours=3),
    )
    page = staff.get(f"/admin/messages/{message_id}").get_data(as_text=True)
    for text in (
        "赵六",
        "13600000000",
        "zhao@example.com",
        "赵氏贸易",
        "商事调解",
        "203.0.113.7",
        "Mozilla/5.0 测试浏览器",
        "第一段\n第二段",
        "收到留言",
        "剩余 20 小时",
    ):
        assert text in page
    assert 'for="reply">答复内容</label>' in page


def test_message_page_shows_beijing_times(app, staff, make_message):
    from datetime import datetime

    message_id = make_message(created_at=datetime(2026, 3, 1, 16, 30))
    page = staff.get(f"/admin/messages/{message_id}").get_data(as_text=True)
    assert "<dt>提交时间</dt><dd>2026-03-02 00:30</dd>" in page
    assert "<dt>答复期限</dt><dd>2026-03-03 00:30" in page


def test_missing_message_is_404(staff):
    assert staff.get("/admin/messages/999").status_code == 404


def test_reply_with_htmx_updates_the_panel(app, staff, make_message):
    message_id = make_message()
    response = staff.post(
        f"/admin/messages/{message_id}/reply",
        data={"reply": "您好，已收到。", "version": 1},
        headers=HTMX,
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<div id="message-panel"')
    assert "答复已保存" in fragment and "已答复" in fragment
    assert response.headers["HX-Trigger"] == "inbox-changed"
    found = get_message(app, message_id)
    assert found.status == MessageStatus.REPLIED
    assert found.reply == "您好，已收到。"
    assert found.replied_by.username == "boss"
    assert abs(found.replied_at - utcnow()) < timedelta(seconds=10)
    assert [(e.action, e.actor, e.target) for e in events(app)[-2:]] == [
        (AuditAction.REPLY, "boss", found.receipt),
        (AuditAction.STATUS, "boss", found.receipt),
    ]


def test_reply_as_a_plain_form_redirects_back_with_a_notice(app, staff, make_message):
    message_id = make_message()
    response = staff.post(
        f"/admin/messages/{message_id}/reply", data={"reply": "答复", "version": 1}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/messages/{message_id}"
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "答复已保存" in page and "待处理 → 已答复" in page


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_empty_reply_is_refused_next_to_the_field(app, staff, make_message, headers):
    message_id = make_message()
    response = staff.post(
        f"/admin/messages/{message_id}/reply", data={"reply": "  ", "version": 1}, headers=headers
    )
    assert response.status_code == 200
    assert "请填写答复内容。" in response.get_data(as_text=True)
    assert get_message(app, message_id).status == MessageStatus.PENDING


def test_a_second_reply_keeps_the_first_answer_time(app, staff, make_message):
    first = ago(hours=5)
    message_id = make_message(status=MessageStatus.REPLIED, reply="旧答复", replied_at=first)
    staff.post(
        f"/admin/messages/{message_id}/reply",
        data={"reply": "更正后的答复", "version": 1, "confirm": "1"},
    )
    found = get_message(app, message_id)
    assert (found.reply, found.replied_at) == ("更正后的答复", first)
    assert [e.action for e in events(app) if e.target == found.receipt] == [AuditAction.REPLY]


@pytest.fixture
def colleague(app, auth):
    """A second signed-in staff member, ``li``, on a client of their own."""
    from tests.conftest import AuthActions

    other = AuthActions(app, app.test_client())
    other.login(username="li")
    return other._client


def shown_version(client, message_id):
    """The version the reply form on the message page carries."""
    page = client.get(f"/admin/messages/{message_id}").get_data(as_text=True)
    return int(re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1))


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_a_reply_written_against_an_older_version_is_refused_and_kept(
    app, staff, colleague, make_message, headers
):
    message_id = make_message()
    seen = shown_version(staff, message_id)
    theirs = {"reply": "李的答复", "version": seen}
    colleague.post(f"/admin/messages/{message_id}/reply", data=theirs)

    mine = "王的答复，写于李答复之前"
    response = staff.post(
        f"/admin/messages/{message_id}/reply",
        data={"reply": mine, "version": seen},
        headers=headers,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == (200 if headers else 409)
    assert "已被其他负责人更新" in page and "您的答复尚未保存" in page
    assert f"{mine}</textarea>" in page  # what was typed is still there
    assert "李的答复" in page  # the colleague's answer, in the timeline
    assert get_message(app, message_id).reply == "李的答复"

    # Submitting again, now knowing the newer answer, asks to confirm replacing it, then saves.
    again = {"reply": mine, "version": shown_version(staff, message_id)}
    asked = staff.post(f"/admin/messages/{message_id}/reply", data=again)
    assert "确认更新答复?" in asked.get_data(as_text=True)
    assert get_message(app, message_id).reply == "李的答复"
    resent = staff.post(f"/admin/messages/{message_id}/reply", data={**again, "confirm": "1"})
    assert resent.status_code == 303
    assert get_message(app, message_id).reply == mine


def test_a_reply_without_the_version_is_refused(app, staff, make_message):
    message_id = make_message()
    response = staff.post(f"/admin/messages/{message_id}/reply", data={"reply": "答复"})
    assert response.status_code == 409
    assert get_message(app, message_id).status == MessageStatus.PENDING


def test_a_change_committed_meanwhile_is_not_overwritten(app, auth, make_message):
    """Between loading a message and saving, another worker commits: nothing is saved."""
    from app.consult import messages
    from app.models.accounts import User

    message_id, boss_id = make_message(), auth.create()
    with app.app_context():
        boss = db.session.get(User, boss_id)
        message = db.session.get(Message, message_id)
        seen = message.version
        with db.engine.begin() as elsewhere:
            elsewhere.execute(
                sa.update(Message.__table__)
                .where(Message.__table__.c.id == message_id)
                .values(status="closed", version=Message.__table__.c.version + 1)
            )
        assert messages.mark_spam(message, boss, ip="127.0.0.1") == messages.CHANGED_MEANWHILE
        assert messages.reply(message, "答复", boss, ip="127.0.0.1", seen_version=seen) is not None
    found = get_message(app, message_id)
    assert (found.status, found.reply) == (MessageStatus.CLOSED, "")
    assert events(app) == []


def test_spam_cannot_be_answered(app, staff, make_message):
    message_id = make_message(status=MessageStatus.SPAM)
    response = staff.post(
        f"/admin/messages/{message_id}/reply", data={"reply": "x", "version": 1}, headers=HTMX
    )
    assert "垃圾留言不能答复" in response.get_data(as_text=True)
    assert get_message(app, message_id).status == MessageStatus.SPAM


@pytest.mark.parametrize(
    ("start", "reply", "action", "end"),
    [
        (MessageStatus.PENDING, "", "close", MessageStatus.CLOSED),
        (MessageStatus.REPLIED, "答复", "close", MessageStatus.CLOSED),
        (MessageStatus.CLOSED, "", "reopen", MessageStatus.PENDING),
        (MessageStatus.CLOSED, "答复", "reopen", MessageStatus.REPLIED),
        (MessageStatus.PENDING, "", "spam", MessageStatus.SPAM),
        (MessageStatus.SPAM, "", "not-spam", MessageStatus.PENDING),
        (MessageStatus.SPAM, "答复", "not-spam", MessageStatus.REPLIED),
    ],
)
def test_status_changes_are_applied_and_audited(
    app, staff, make_message, start, reply, action, end
):
    message_id = make_message(status=start, reply=reply)
    response = staff.post(
        f"/admin/messages/{message_id}/status", data={"action": action}, headers=HTMX
    )
    assert response.status_code == 200
    assert f'<span class="status status--{end.value}">{end.label}</span>' in response.get_data(
        as_text=True
    )
    found = get_message(app, message_id)
    assert found.status == end
    assert found.spam_reason == ("staff" if end == MessageStatus.SPAM else "")
    (event,) = events(app, AuditAction.STATUS)
    assert (event.actor, event.target, event.detail) == (
        "boss",
        found.receipt,
        f"{start.label} → {end.label}",
    )


def test_a_status_change_that_no_longer_applies_is_explained(app, staff, make_message):
    message_id = make_message(status=MessageStatus.CLOSED)
    response = staff.post(f"/admin/messages/{message_id}/status", data={"action": "close"})
    assert response.status_code == 303
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "不能关闭" in page
    assert (
        staff.post(f"/admin/messages/{message_id}/status", data={"action": "x"}).status_code == 400
    )


def test_delete_asks_first_then_leaves_a_tombstone(app, staff, make_message):
    message_id = make_message(name="隐私姓名", phone="13311112222", category="其他")
    receipt = get_message(app, message_id).receipt
    confirm = staff.get(f"/admin/messages/{message_id}/delete").get_data(as_text=True)
    assert f"确定删除留言 {receipt}?" in confirm and "确认删除" in confirm
    assert get_message(app, message_id) is not None
    in_place = staff.get(f"/admin/messages/{message_id}/delete", headers=HTMX).get_data(
        as_text=True
    )
    assert "<html" not in in_place and "确认删除" in in_place
    response = staff.post(f"/admin/messages/{message_id}/delete")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/messages"
    assert f"留言 {receipt} 已删除。" in staff.get("/admin/messages").get_data(as_text=True)
    assert get_message(app, message_id) is None
    (tombstone,) = events(app, AuditAction.DELETE)
    assert (tombstone.actor, tombstone.target) == ("boss", receipt)
    assert "类别：其他" in tombstone.detail and "待处理" in tombstone.detail
    assert "隐私姓名" not in tombstone.detail and "13311112222" not in tombstone.detail


def test_delete_from_htmx_redirects_the_page(staff, make_message):
    message_id = make_message()
    response = staff.post(f"/admin/messages/{message_id}/delete", headers=HTMX)
    assert response.headers["HX-Redirect"] == "/admin/messages"


def test_timeline_lists_replies_and_status_changes(staff, make_message):
    message_id = make_message()
    staff.post(f"/admin/messages/{message_id}/reply", data={"reply": "第一次答复", "version": 1})
    staff.post(f"/admin/messages/{message_id}/status", data={"action": "close"})
    page = staff.get(f"/admin/messages/{message_id}").get_data(as_text=True)
    page = page[page.index('id="timeline-title"') :]
    order = ["收到留言", "第一次答复", "待处理 → 已答复", "已答复 → 已关闭"]
    positions = [page.index(text) for text in order]
    assert positions == sorted(positions)


# Hostile content


@pytest.fixture
def hostile_message(make_message):
    return make_message(
        name=XSS,
        company=QUOTES,
        content=f"{QUOTES}\n{XSS}",
        email=f"{QUOTES}@example.com",
        user_agent=XSS,
        phone=QUOTES[:20],
    )


@pytest.mark.parametrize("url", ["/admin/messages", "/admin/messages/{id}"])
def test_hostile_fields_are_shown_escaped(staff, hostile_message, url):
    page = staff.get(url.format(id=hostile_message)).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert str(escape(XSS)) in page
    assert str(escape(QUOTES)) in page


# CSV export


def read_csv(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_is_utf8_with_bom_and_chinese_headers(app, staff, make_message):
    make_message(name="钱七", company="钱氏", content="出口许可证", ip="198.51.100.1")
    response = staff.get("/admin/messages/export.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="messages-')
    rows = read_csv(response)
    assert rows[0][:4] == ["回执号", "提交时间(北京时间)", "姓名", "电话"]
    assert "答复人" in rows[0]
    assert rows[1][2] == "钱七" and "出口许可证" in rows[1] and "198.51.100.1" in rows[1]
    (event,) = events(app, AuditAction.EXPORT)
    assert event.actor == "boss" and "共 1 条" in event.detail


def test_export_follows_the_current_filter(staff, make_message):
    make_message(name="正常")
    make_message(name="垃圾", status=MessageStatus.SPAM)
    assert [row[2] for row in read_csv(staff.get("/admin/messages/export.csv"))[1:]] == ["正常"]
    spam = read_csv(staff.get("/admin/messages/export.csv?status=spam"))
    assert [row[2] for row in spam[1:]] == ["垃圾"]


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_export_neutralises_formulas(staff, make_message, value):
    make_message(name=value, content=value)
    row = read_csv(staff.get("/admin/messages/export.csv"))[1]
    assert row[2] == "'" + value
    assert row[7] == "'" + value


def test_export_keeps_hostile_markup_as_plain_text(staff, hostile_message):
    row = read_csv(staff.get("/admin/messages/export.csv"))[1]
    assert row[2] == XSS


# The audit log


def test_audit_log_lists_logins_and_changes_with_utc_time_and_actor(app, staff, make_message):
    staff.post("/admin/login", data={"username": "boss", "password": "wrong-password"})
    message_id = make_message()
    staff.post(f"/admin/messages/{message_id}/reply", data={"reply": "答复", "version": 1})
    page = staff.get("/admin/audit").get_data(as_text=True)
    for label in ("登录成功", "答复", "状态变更"):
        assert f'<td data-label="操作">{label}</td>' in page
    assert "时间(UTC)" in page and "127.0.0.1" in page
    assert '<td data-label="操作者">boss</td>' in page
    assert "wrong-password" not in page


def test_audit_log_is_paginated(app, staff):
    with app.app_context():
        for n in range(60):
            db.session.add(AuditEvent(action=AuditAction.EXPORT, actor="boss", detail=f"第{n}次"))
        db.session.commit()
    first = staff.get("/admin/audit").get_data(as_text=True)
    assert first.count('<td data-label="操作">') == 50
    second = staff.get("/admin/audit?page=2", headers=HTMX).get_data(as_text=True)
    assert "<html" not in second and second.count('<td data-label="操作">') == 11


def test_filtered_pending_list_goes_by_deadline_then_newest(staff, make_message):
    due = ago(hours=3)
    make_message(name="同期旧", category="法律咨询", created_at=ago(hours=30), reply_due_at=due)
    make_message(name="同期新", category="法律咨询", created_at=ago(hours=29), reply_due_at=due)
    make_message(
        name="期限早", category="法律咨询", created_at=ago(hours=2), reply_due_at=ago(hours=9)
    )
    make_message(name="期限晚", category="法律咨询", created_at=ago(hours=1))
    page = staff.get("/admin/messages?status=pending&category=法律咨询").get_data(as_text=True)
    names = re.findall(r'data-label="姓名">([^<]+)<', page)
    assert names == ["期限早", "同期新", "同期旧", "期限晚"]


def test_inbox_counts_the_whole_filter_past_the_first_page(staff, make_message):
    for _ in range(23):
        make_message(category="商事调解")
    make_message(category="其他")
    first = staff.get("/admin/messages?category=商事调解").get_data(as_text=True)
    assert "共 23 条" in first and first.count('class="receipt"') == 20
    second = staff.get("/admin/messages?category=商事调解&page=2").get_data(as_text=True)
    assert "共 23 条" in second and second.count('class="receipt"') == 3
    short = staff.get("/admin/messages?category=其他").get_data(as_text=True)
    assert "共 1 条" in short


def test_inbox_past_the_last_page_is_404_and_an_empty_first_page_is_not(staff, make_message):
    make_message()
    assert staff.get("/admin/messages?page=2").status_code == 404
    empty = staff.get("/admin/messages?category=其他")
    assert empty.status_code == 200 and "没有符合条件的留言。" in empty.get_data(as_text=True)


def explained(app, client, url, table="messages"):
    """SQLite's plan for each statement on ``table`` that loading ``url`` ran."""
    import os

    if os.environ.get("DATABASE_URL"):
        pytest.skip("reads SQLite's EXPLAIN QUERY PLAN")
    ran = []

    def keep(conn, cursor, statement, parameters, *args):
        if f"FROM {table}" in statement:
            ran.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    with app.app_context(), db.engine.connect() as connection:
        return [
            " / ".join(
                row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
            )
            for sql, params in ran
        ]


def test_filtered_inbox_walks_its_index_in_triage_order(app, staff, make_message):
    """待处理 + a 类别 reads the index on (status, category, reply_due_at) in order and stops
    after the page: no sort of every matching message."""
    for _ in range(21):
        make_message(category="贸易指南")
    plans = explained(app, staff, "/admin/messages?status=pending&category=贸易指南")
    listed = [plan for plan in plans if "message_claims" in plan]
    assert listed, plans
    assert "ix_messages_status_category_due" in listed[0]
    assert "TEMP B-TREE FOR ORDER BY" not in listed[0]


def test_header_counts_read_an_index_not_every_message(app, staff, make_message):
    make_message()
    plans = explained(app, staff, "/admin/messages/counts")
    assert plans and all("SCAN messages" not in plan for plan in plans), plans
