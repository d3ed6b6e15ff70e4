"""Triage as a 负责人 meets it: the most urgent first, counts that lead somewhere, receipt
search, 下一条待处理, the way back to the inbox, 常用答复, 认领, 内部备注 and 更新答复."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditAction, AuditEvent, Message, MessageStatus, Role
from app.models.base import utcnow
from app.models.consult import ReplyTemplate
from tests.conftest import STAFF_PASSWORD, AuthActions

HTMX = {"HX-Request": "true"}


@pytest.fixture
def staff(auth):
    auth.login()
    return auth._client


@pytest.fixture
def colleague(app, auth):
    other = AuthActions(app, app.test_client())
    other.login(username="li")
    return other._client


def ago(**delta):
    return utcnow() - timedelta(**delta)


def receipt_of(app, message_id):
    with app.app_context():
        return db.session.get(Message, message_id).receipt


def shown_names(page, names):
    """The ``names`` the inbox table lists, in its order."""
    listed = re.findall(r'<td data-label="姓名">([^<]*)</td>', page)
    return [name for name in listed if name in names]


@pytest.fixture
def every_state(make_message):
    """A message at every deadline state, created in an order unlike the triage order."""
    make = make_message
    return {
        "已答复按时": make(
            created_at=ago(hours=10), replied_at=ago(hours=9), status=MessageStatus.REPLIED
        ),
        "待处理新": make(created_at=ago(hours=1)),
        "超时较新": make(created_at=ago(hours=26)),
        "已关闭": make(created_at=ago(hours=3), status=MessageStatus.CLOSED),
        "超时最久": make(created_at=ago(hours=50)),
        "待处理旧": make(created_at=ago(hours=20)),
        "已答复逾期": make(
            created_at=ago(hours=2), replied_at=ago(hours=1), status=MessageStatus.REPLIED
        ),
        "垃圾": make(created_at=ago(hours=60), status=MessageStatus.SPAM),
    }


NAMES = [
    "超时最久",
    "超时较新",
    "待处理旧",
    "待处理新",
    "已答复逾期",
    "已关闭",
    "已答复按时",
    "垃圾",
]


def name_messages(app, every_state):
    with app.app_context():
        for name, message_id in every_state.items():
            db.session.get(Message, message_id).name = name
        db.session.commit()


# Order, filters and counts


def test_default_order_is_overdue_then_pending_by_deadline_then_newest(app, staff, every_state):
    name_messages(app, every_state)
    page = staff.get("/admin/messages").get_data(as_text=True)
    assert shown_names(page, NAMES) == [
        "超时最久",
        "超时较新",
        "待处理旧",
        "待处理新",
        "已答复逾期",
        "已关闭",
        "已答复按时",
    ]
    assert "按紧急程度排列" in page


def test_the_newest_sort_switch(app, staff, every_state):
    name_messages(app, every_state)
    page = staff.get("/admin/messages?sort=newest").get_data(as_text=True)
    assert shown_names(page, NAMES) == [
        "待处理新",
        "已答复逾期",
        "已关闭",
        "已答复按时",
        "待处理旧",
        "超时较新",
        "超时最久",
    ]
    assert '<option selected value="newest">最新</option>' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=overdue", ["超时最久", "超时较新"]),
        ("status=pending", ["超时最久", "超时较新", "待处理旧", "待处理新"]),
        ("status=replied", ["已答复逾期", "已答复按时"]),
        ("status=spam", ["垃圾"]),
        ("status=overdue&sort=newest", ["超时较新", "超时最久"]),
    ],
)
def test_filters_by_deadline_state(app, staff, every_state, query, expected):
    name_messages(app, every_state)
    page = staff.get(f"/admin/messages?{query}").get_data(as_text=True)
    assert shown_names(page, NAMES) == expected


def test_header_counts_link_to_their_lists(app, staff, every_state):
    name_messages(app, every_state)
    page = staff.get("/admin/password").get_data(as_text=True)
    pending = re.search(r'<a href="([^"]+)">待处理 <strong[^>]*>(\d+)</strong>', page)
    overdue = re.search(
        r'<a href="([^"]+)" class="overdue">已超时 <strong[^>]*>(\d+)</strong>', page
    )
    spam = re.search(r'<a href="([^"]+)"[^>]*>垃圾 <strong[^>]*>(\d+)</strong>', page)
    assert (pending.group(1), pending.group(2)) == ("/admin/messages?status=pending", "4")
    assert (overdue.group(1), overdue.group(2)) == ("/admin/messages?status=overdue", "2")
    assert (spam.group(1), spam.group(2)) == ("/admin/messages?status=spam", "1")
    listed = staff.get(overdue.group(1)).get_data(as_text=True)
    assert shown_names(listed, NAMES) == ["超时最久", "超时较新"]


def test_the_overdue_count_is_plain_when_nothing_is_overdue(staff, make_message):
    make_message(created_at=ago(hours=1))
    page = staff.get("/admin/messages/counts", headers=HTMX).get_data(as_text=True)
    assert '<a href="/admin/messages?status=overdue">已超时 <strong' in page


@pytest.mark.parametrize("typed", ["{r}", "{lower}", "{spaced}", "{lower_spaced}", "{part}"])
def test_search_finds_a_receipt_read_out_on_the_phone(app, staff, make_message, typed):
    wanted = make_message(name="要找的访客")
    make_message(name="别的访客")
    receipt = receipt_of(app, wanted)
    text = typed.format(
        r=receipt,
        lower=receipt.lower(),
        spaced=f"{receipt[:3]} {receipt[3:6]} {receipt[6:]}",
        lower_spaced=" ".join(receipt.lower()),
        part=receipt[2:8].lower(),
    )
    page = staff.get("/admin/messages", query_string={"q": text}).get_data(as_text=True)
    assert ">要找的访客<" in page and ">别的访客<" not in page


# The way back and 下一条待处理


def test_the_breadcrumb_keeps_the_filters_and_the_page(app, staff, make_message):
    for n in range(21):
        make_message(name=f"访客{n:02d}", category="法律咨询", created_at=ago(hours=30 - n))
    listed = staff.get("/admin/messages?category=法律咨询&page=2").get_data(as_text=True)
    link = re.search(r'<a class="receipt" href="([^"]+)"', listed).group(1).replace("&amp;", "&")
    assert "page=2" in link and "category=" in link
    page = staff.get(link).get_data(as_text=True)
    crumb = re.search(r'<li><a href="([^"]+)">留言</a></li>', page).group(1).replace("&amp;", "&")
    assert crumb == link.replace(link.split("?")[0], "/admin/messages")
    back = staff.get(crumb).get_data(as_text=True)
    assert '<span aria-current="page">2</span>' in back


def test_the_way_back_drops_what_is_not_an_inbox_filter(staff, make_message):
    message_id = make_message()
    page = staff.get(
        f"/admin/messages/{message_id}?status=bogus&page=x&next=https://evil.example&q=a"
    ).get_data(as_text=True)
    crumb = re.search(r'<li><a href="([^"]+)">留言</a></li>', page).group(1)
    assert crumb == "/admin/messages?q=a"
    assert "evil.example" not in page


def test_after_a_reply_the_page_offers_the_next_pending_and_keeps_the_way_back(
    app, staff, colleague, make_message
):
    current = make_message(created_at=ago(hours=40))
    claimed_by_li = make_message(created_at=ago(hours=35))
    most_urgent = make_message(created_at=ago(hours=30))
    make_message(created_at=ago(hours=2))
    colleague.post(f"/admin/messages/{claimed_by_li}/claim")
    response = staff.post(
        f"/admin/messages/{current}/reply?status=overdue&page=1",
        data={"reply": "答复", "version": 1},
    )
    assert response.headers["Location"] == f"/admin/messages/{current}?status=overdue"
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "答复已保存" in page
    nxt = re.search(r'<a class="button" href="([^"]+)">下一条待处理</a>', page).group(1)
    assert nxt == f"/admin/messages/{most_urgent}?status=overdue"
    assert receipt_of(app, most_urgent) in page


def test_next_pending_is_never_the_message_on_screen(staff, make_message):
    first = make_message(created_at=ago(hours=30))
    second = make_message(created_at=ago(hours=3))
    page = staff.get(f"/admin/messages/{first}").get_data(as_text=True)
    assert f'href="/admin/messages/{second}">下一条待处理</a>' in page
    page = staff.get(f"/admin/messages/{second}").get_data(as_text=True)
    assert f'href="/admin/messages/{first}">下一条待处理</a>' in page


def test_next_pending_runs_out(staff, make_message):
    only = make_message()
    staff.post(f"/admin/messages/{only}/reply", data={"reply": "答复", "version": 1})
    page = staff.get(f"/admin/messages/{only}").get_data(as_text=True)
    assert "下一条待处理" not in page and "没有其他待处理的留言了。" in page


def test_the_next_pending_comes_with_the_htmx_panel(staff, make_message):
    current, other = make_message(), make_message(created_at=ago(hours=5))
    fragment = staff.post(
        f"/admin/messages/{current}/reply", data={"reply": "答复", "version": 1}, headers=HTMX
    ).get_data(as_text=True)
    assert "<html" not in fragment
    assert f'href="/admin/messages/{other}">下一条待处理</a>' in fragment


# 常用答复


def test_reply_templates_are_made_used_changed_and_deleted(app, staff, make_message):
    assert "还没有常用答复" in staff.get("/admin/replies").get_data(as_text=True)
    made = staff.post("/admin/replies/new", data={"title": "出口退税", "text": "您好，退税请…"})
    assert made.status_code == 303 and made.headers["Location"] == "/admin/replies"
    listing = staff.get("/admin/replies").get_data(as_text=True)
    assert "常用答复“出口退税”已保存。" in listing and "您好，退税请…" in listing
    with app.app_context():
        template_id = db.session.scalar(sa.select(ReplyTemplate.id))

    message_id = make_message()
    page = staff.get(f"/admin/messages/{message_id}").get_data(as_text=True)
    assert '<label for="template">常用答复</label>' in page
    assert f'<option value="{template_id}"' in page and ">出口退税</option>" in page
    filled = staff.get(f"/admin/messages/{message_id}?template={template_id}")
    assert "您好，退税请…</textarea>" in filled.get_data(as_text=True)

    staff.post(f"/admin/replies/{template_id}", data={"title": "退税", "text": "新的文字"})
    filled = staff.get(f"/admin/messages/{message_id}?template={template_id}")
    assert "新的文字</textarea>" in filled.get_data(as_text=True)

    confirm = staff.get(f"/admin/replies/{template_id}/delete").get_data(as_text=True)
    assert "确定删除常用答复“退税”?" in confirm
    staff.post(f"/admin/replies/{template_id}/delete")
    assert "还没有常用答复" in staff.get("/admin/replies").get_data(as_text=True)
    with app.app_context():
        details = db.session.scalars(
            sa.select(AuditEvent.detail).where(AuditEvent.target == f"常用答复 {template_id}")
        ).all()
    assert details == ["新建常用答复：出口退税", "修改常用答复：退税", "删除常用答复：退税"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"title": "", "text": "x"}, "请填写标题。"),
        ({"title": "  ", "text": "x"}, "请填写标题。"),
        ({"title": "标题", "text": " "}, "请填写答复内容。"),
        ({"title": "长" * 51, "text": "x"}, "标题不能超过 50 字。"),
        ({"title": "已有", "text": "x"}, "已有同名的常用答复，请换一个标题。"),
    ],
)
def test_reply_template_errors_show_next_to_the_fields(staff, data, error):
    staff.post("/admin/replies/new", data={"title": "已有", "text": "x"})
    response = staff.post("/admin/replies/new", data=data)
    assert response.status_code == 200
    assert f'<p class="field__error" id="title-error">{error}</p>' in response.get_data(
        as_text=True
    ) or f'<p class="field__error" id="text-error">{error}</p>' in response.get_data(as_text=True)


def test_an_unknown_template_leaves_the_reply_box_alone(staff, make_message):
    message_id = make_message()
    assert staff.get(f"/admin/messages/{message_id}?template=999").status_code == 200
    assert staff.get(f"/admin/messages/{message_id}?template=abc").status_code == 200


def test_reply_templates_need_the_responder_role(auth):
    auth.login(username="editor", roles=[Role.EDITOR])
    assert auth._client.get("/admin/replies").status_code == 403
    assert auth._client.post(
        "/admin/replies/new", data={"title": "t", "text": "x"}
    ).status_code == (403)


def test_the_template_form_checks_csrf(staff_app):
    other = staff_app(WTF_CSRF_ENABLED=True)
    client = other.test_client()
    login = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post(
        "/admin/login", data={"username": "boss", "password": STAFF_PASSWORD, "csrf_token": token}
    )
    assert client.post("/admin/replies/new", data={"title": "t", "text": "x"}).status_code == 400


# 认领 and 内部备注


def test_a_claim_shows_in_the_list_and_to_colleagues(app, staff, colleague, make_message):
    message_id = make_message(name="认领的访客")
    claimed = staff.post(f"/admin/messages/{message_id}/claim", headers=HTMX)
    assert "已认领" in claimed.get_data(as_text=True)
    row = staff.get("/admin/messages").get_data(as_text=True)
    assert '<td data-label="处理人">boss</td>' in row
    theirs = colleague.get(f"/admin/messages/{message_id}").get_data(as_text=True)
    assert "<dt>处理人</dt>" in theirs and "<span>boss</span>" in theirs
    refused = colleague.post(f"/admin/messages/{message_id}/claim")
    assert "该留言已由 boss 认领。" in colleague.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    staff.post(f"/admin/messages/{message_id}/unclaim")
    assert '<td data-label="处理人">—</td>' in staff.get("/admin/messages").get_data(as_text=True)


def test_internal_notes_are_for_staff_only(app, staff, make_message):
    message_id = make_message(phone="13900001111")
    response = staff.post(
        f"/admin/messages/{message_id}/notes", data={"note": "已电话联系，下周回复"}
    )
    assert response.status_code == 303
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    timeline = page[page.index('id="timeline-title"') :]
    assert "内部备注" in timeline and "已电话联系，下周回复" in timeline
    receipt = receipt_of(app, message_id)
    lookup = visitor_lookup(app, receipt, "13900001111")
    assert receipt in lookup and "已电话联系" not in lookup
    empty = staff.post(f"/admin/messages/{message_id}/notes", data={"note": "  "})
    assert "请填写备注内容。" in empty.get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalar(
            sa.select(AuditEvent.id).where(AuditEvent.detail.contains("已电话联系"))
        )


@pytest.mark.parametrize(
    ("path", "data"),
    [("notes", {"note": "备注"}), ("claim", {}), ("status", {"action": "close"})],
)
def test_an_action_in_place_keeps_the_reply_being_typed(staff, make_message, path, data):
    message_id = make_message()
    page = staff.get(f"/admin/messages/{message_id}").get_data(as_text=True)
    assert 'data-hx-include="#reply"' in page
    fragment = staff.post(
        f"/admin/messages/{message_id}/{path}",
        data={**data, "reply": "写了一半的答复"},
        headers=HTMX,
    ).get_data(as_text=True)
    assert "写了一半的答复</textarea>" in fragment


# 更新答复


def visitor_lookup(app, receipt, phone):
    """The visitor's receipt lookup page (posted; the lookup used to be a GET form)."""
    client = app.test_client()
    response = client.post("/consult/status", data={"receipt": receipt, "phone": phone})
    if response.status_code == 405:
        response = client.get("/consult/status", query_string={"receipt": receipt, "phone": phone})
    return response.get_data(as_text=True)


@pytest.fixture
def answered(staff, make_message):
    message_id = make_message(phone="13900002222")
    staff.post(f"/admin/messages/{message_id}/reply", data={"reply": "最初的答复", "version": 1})
    return message_id


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_updating_an_answer_asks_first(app, staff, answered, headers):
    response = staff.post(
        f"/admin/messages/{answered}/reply",
        data={"reply": "更正后的答复", "version": 2},
        headers=headers,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "确认更新答复?" in page and "原答复保留在处理记录中" in page
    assert '<input type="hidden" name="confirm" value="1">' in page
    assert "更正后的答复</textarea>" in page  # still there to edit instead
    with app.app_context():
        assert db.session.get(Message, answered).reply == "最初的答复"


def test_a_confirmed_update_keeps_the_earlier_answer_in_the_timeline(app, staff, answered):
    response = staff.post(
        f"/admin/messages/{answered}/reply",
        data={"reply": "更正后的答复", "version": 2, "confirm": "1"},
    )
    assert response.status_code == 303
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    timeline = page[page.index('id="timeline-title"') :]
    order = ["收到留言", "最初的答复", "待处理 → 已答复", "更新答复", "更正后的答复"]
    positions = [timeline.index(text) for text in order]
    assert positions == sorted(positions)
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == AuditAction.REPLY)
        ).all()
    assert [e.detail for e in events] == ["", "更新答复"]  # no answer text in the audit log

    lookup = visitor_lookup(app, receipt_of(app, answered), "13900002222")
    assert "更正后的答复" in lookup and "最初的答复" not in lookup


def test_the_panel_after_an_answer_carries_the_new_version(app, staff, answered):
    """Updating an answer in place leaves a form that can update it again, without a reload."""
    fragment = staff.post(
        f"/admin/messages/{answered}/reply",
        data={"reply": "第二版", "version": 2, "confirm": "1"},
        headers=HTMX,
    ).get_data(as_text=True)
    version = int(re.search(r'name="version" type="hidden" value="(\d+)"', fragment).group(1))
    with app.app_context():
        assert version == db.session.get(Message, answered).version == 3
    again = staff.post(
        f"/admin/messages/{answered}/reply",
        data={"reply": "第三版", "version": version, "confirm": "1"},
        headers=HTMX,
    )
    assert "答复已保存" in again.get_data(as_text=True)


def test_the_visitor_sees_the_latest_answer_marked_updated(app, staff, answered):
    staff.post(
        f"/admin/messages/{answered}/reply",
        data={"reply": "更正后的答复", "version": 2, "confirm": "1"},
    )
    lookup = visitor_lookup(app, receipt_of(app, answered), "13900002222")
    assert "已更新" in lookup
