"""The 24-hour promise as arithmetic: deadlines, periods in Beijing time, the report page.

The report's figures come from aggregate SQL; ``build_report`` below is the Python
computation they replaced, kept as the oracle they must agree with on any data.
"""

import statistics
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.admin.report import Period, PromiseReport, default_period, promise_report
from app.consult.messages import deadline, duration_text
from app.extensions import db
from app.models import Message, MessageStatus, Role
from app.models.consult import REPLY_PROMISE

H = timedelta(hours=1)
CREATED = datetime(2026, 3, 1, 8, 0)


def message(status=MessageStatus.PENDING, replied_after=None, created=CREATED):
    replied_at = created + replied_after if replied_after is not None else None
    return Message(
        created_at=created,
        reply_due_at=created + REPLY_PROMISE,
        status=status,
        replied_at=replied_at,
    )


def answered_in_time(created_at: datetime, replied_at: datetime) -> bool:
    return replied_at - created_at <= REPLY_PROMISE


def build_report(
    rows: Iterable[tuple[datetime, datetime | None, MessageStatus]], period: Period, now: datetime
) -> PromiseReport:
    """The oracle: the report as it was computed in Python, row by row."""
    counts = dict.fromkeys(("in_time", "late", "open", "overdue", "closed_unanswered"), 0)
    answer_times = []
    for created_at, replied_at, status in rows:
        if replied_at is not None:
            answer_times.append(replied_at - created_at)
            counts["in_time" if answered_in_time(created_at, replied_at) else "late"] += 1
        elif status == MessageStatus.PENDING:
            counts["open" if now <= created_at + REPLY_PROMISE else "overdue"] += 1
        else:
            counts["closed_unanswered"] += 1
    return PromiseReport(
        period=period,
        received=sum(counts.values()),
        median_first_answer=statistics.median(answer_times) if answer_times else None,
        **counts,
    )


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(minutes=45, seconds=59), "45 分钟"),
        (3 * H + timedelta(minutes=5), "3 小时 5 分"),
        (24 * H, "1 天 0 小时"),
        (49 * H + timedelta(minutes=30), "2 天 1 小时"),
    ],
)
def test_durations_read_as_words(span, text):
    assert duration_text(span) == text


@pytest.mark.parametrize(
    ("age", "state", "text"),
    [
        (2 * H, "open", "剩余 22 小时 0 分"),
        (24 * H, "open", "剩余 0 分钟"),  # exactly at the deadline: not yet broken
        (24 * H + timedelta(seconds=1), "overdue", "已超时 1 分钟"),
        (24 * H + timedelta(minutes=59), "overdue", "已超时 59 分钟"),
        (25 * H, "overdue", "已超时 1 小时"),
        (30 * H + timedelta(minutes=40), "overdue", "已超时 6 小时"),
    ],
)
def test_pending_deadline_counts_down_then_up(age, state, text):
    result = deadline(message(), CREATED + age)
    assert (result.state, result.text) == (state, text)
    assert result.due == CREATED + 24 * H
    assert result.overdue is (state == "overdue")


@pytest.mark.parametrize(
    ("replied_after", "state", "text"),
    [
        (3 * H, "in-time", "按时答复"),
        (24 * H, "in-time", "按时答复"),  # answered exactly at 24 h keeps the promise
        (24 * H + timedelta(seconds=1), "late", "逾期答复"),
    ],
)
def test_answered_message_shows_whether_the_promise_was_kept(replied_after, state, text):
    result = deadline(message(MessageStatus.REPLIED, replied_after), CREATED + 100 * H)
    assert (result.state, result.text, result.overdue) == (state, text, False)


@pytest.mark.parametrize("status", [MessageStatus.CLOSED, MessageStatus.SPAM])
def test_closed_and_spam_messages_have_no_deadline_to_meet(status):
    result = deadline(message(status), CREATED + 100 * H)
    assert (result.state, result.overdue) == ("none", False)


def test_a_beijing_day_starts_at_16_00_utc_the_day_before():
    assert Period(date(2026, 3, 1), date(2026, 3, 1)).utc_bounds() == (
        datetime(2026, 2, 28, 16, 0),
        datetime(2026, 3, 1, 16, 0),
    )


def test_default_period_is_the_last_30_beijing_days():
    # 17:00 UTC on 1 March is already 01:00 on 2 March in Beijing.
    assert default_period(datetime(2026, 3, 1, 17, 0)) == Period(date(2026, 2, 1), date(2026, 3, 2))
    assert default_period(datetime(2026, 3, 1, 15, 59)) == Period(
        date(2026, 1, 31), date(2026, 3, 1)
    )


# A fixed data set for the first week of March 2026 (Beijing), seen at NOW.
NOW = datetime(2026, 3, 8, 12, 0)
MARCH_1_TO_7 = Period(date(2026, 3, 1), date(2026, 3, 7))
DATA_SET = [
    # (created_at UTC, time to first answer, status, in the period?)
    (datetime(2026, 3, 1, 2, 0), 2 * H, MessageStatus.REPLIED, True),  # in time
    (datetime(2026, 3, 2, 0, 0), 24 * H, MessageStatus.REPLIED, True),  # exactly 24 h: in time
    (datetime(2026, 3, 3, 0, 0), 30 * H, MessageStatus.REPLIED, True),  # late
    (datetime(2026, 3, 5, 0, 0), 10 * H, MessageStatus.CLOSED, True),  # answered, then closed
    (datetime(2026, 3, 4, 0, 0), None, MessageStatus.CLOSED, True),  # closed unanswered
    (datetime(2026, 3, 7, 10, 0), None, MessageStatus.PENDING, True),  # 26 h old: overdue
    (datetime(2026, 3, 7, 15, 0), None, MessageStatus.PENDING, True),  # 21 h old: open
    (datetime(2026, 3, 5, 9, 0), None, MessageStatus.SPAM, False),  # spam never counts
    (datetime(2026, 2, 28, 16, 0), H, MessageStatus.REPLIED, True),  # 00:00 on 1 March
    (datetime(2026, 2, 28, 15, 59, 59), H, MessageStatus.REPLIED, False),  # 23:59:59, 28 Feb
    (datetime(2026, 3, 7, 16, 0), None, MessageStatus.PENDING, False),  # 00:00 on 8 March
]


def check_figures(report):
    assert report.received == 8
    assert (report.in_time, report.late) == (4, 1)
    assert (report.open, report.overdue, report.closed_unanswered) == (1, 1, 1)
    assert report.answered == 5
    assert report.answer_rate == pytest.approx(5 / 8)
    assert report.median_first_answer == 10 * H  # of 1, 2, 10, 24 and 30 hours


def test_report_figures_of_the_fixed_data_set():
    rows = [
        (created, created + answer if answer else None, status)
        for created, answer, status, in_period in DATA_SET
        if in_period
    ]
    check_figures(build_report(rows, MARCH_1_TO_7, NOW))


def store(rows):
    """Replace every message with ``(created_at, replied_at, status)`` rows."""
    db.session.execute(sa.delete(Message))
    for n, (created, replied_at, status) in enumerate(rows):
        db.session.add(
            Message(
                name=f"访客{n}",
                phone="13800000000",
                category="其他",
                content="问题",
                status=status,
                created_at=created,  # the deadline follows from it, as on arrival
                replied_at=replied_at,
                reply="答复" if replied_at else "",
            )
        )
    db.session.commit()


def test_report_reads_the_period_from_the_database_in_beijing_days(app):
    with app.app_context():
        store(
            (created, created + answer if answer else None, status)
            for created, answer, status, _ in DATA_SET
        )
        check_figures(promise_report(MARCH_1_TO_7, NOW))


START, END = MARCH_1_TO_7.utc_bounds()
moments = st.datetimes(min_value=START - timedelta(days=2), max_value=END + timedelta(days=2))
answer_times = st.one_of(
    st.none(),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
    st.sampled_from([REPLY_PROMISE, REPLY_PROMISE + timedelta(microseconds=1)]),
)
rows = st.lists(st.tuples(moments, answer_times, st.sampled_from(list(MessageStatus))), max_size=25)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=rows, now=moments)
@example(  # seen exactly at the deadline: still open, not overdue
    data=[(CREATED, None, MessageStatus.PENDING)], now=CREATED + REPLY_PROMISE
)
def test_sql_figures_equal_the_python_computation(app, data, now):
    """On any data, the aggregate SQL gives the figures the row-by-row Python gave."""
    table = [
        (created, created + took if took is not None else None, s) for created, took, s in data
    ]
    with app.app_context():
        store(table)
        figures = promise_report(MARCH_1_TO_7, now)
    start, end = MARCH_1_TO_7.utc_bounds()
    expected = build_report(
        [row for row in table if start <= row[0] < end and row[2] != MessageStatus.SPAM],
        MARCH_1_TO_7,
        now,
    )
    assert (figures.median_first_answer is None) == (expected.median_first_answer is None)
    if expected.median_first_answer is not None:
        # SQLite's date arithmetic is a float of days: exact to well under a millisecond.
        assert abs(figures.median_first_answer - expected.median_first_answer) < timedelta(
            milliseconds=1
        )
    same = {"median_first_answer": None}
    assert PromiseReport(**{**vars(figures), **same}) == PromiseReport(**{**vars(expected), **same})


def test_the_report_builds_no_message_objects(app):
    """The figures come from aggregate queries: no message is loaded as an object."""
    loaded = []

    def count_load(target, _context):
        loaded.append(target)

    with app.app_context():
        store(
            (created, created + answer if answer else None, status)
            for created, answer, status, _ in DATA_SET
        )
        db.session.expunge_all()
        sa.event.listen(Message, "load", count_load)
        try:
            check_figures(promise_report(MARCH_1_TO_7, NOW))
        finally:
            sa.event.remove(Message, "load", count_load)
    assert loaded == []


def test_an_empty_period_has_no_rate_and_no_median():
    report = build_report([], MARCH_1_TO_7, NOW)
    assert (report.received, report.answer_rate, report.median_first_answer) == (0, None, None)


# The report page


def ago(**delta):
    from app.models.base import utcnow

    return utcnow() - timedelta(**delta)


def test_report_page_for_a_chosen_period(auth, make_message):
    auth.login()
    staff = auth._client
    make_message(created_at=ago(hours=30), replied_at=ago(hours=29), status=MessageStatus.REPLIED)
    make_message(created_at=ago(hours=2))
    page = staff.get("/admin/report").get_data(as_text=True)
    assert "24小时答复承诺" in page
    assert "<div><dt>收到</dt><dd>2</dd></div>" in page
    assert "<div><dt>按时答复</dt><dd>1</dd></div>" in page
    assert "<div><dt>答复率</dt><dd>50.0%</dd></div>" in page
    assert "<div><dt>首次答复用时中位数</dt><dd>1 小时 0 分</dd></div>" in page
    assert '<a href="/admin/report" aria-current="page">报告</a>' in page
    empty = staff.get("/admin/report?start=2020-01-01&end=2020-01-31").get_data(as_text=True)
    assert "2020-01-01 至 2020-01-31" in empty and "<div><dt>收到</dt><dd>0</dd></div>" in empty
    wrong = staff.get("/admin/report?start=2020-02-01&end=2020-01-01").get_data(as_text=True)
    assert "结束日期不能早于开始日期。" in wrong


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.RESPONDER, True), (Role.ADMIN, True), (Role.EDITOR, False)]
)
def test_report_is_for_responders_and_administrators(auth, role, allowed):
    auth.login(username=f"u-{role.value}", roles=[role])
    response = auth._client.get("/admin/report")
    assert response.status_code == (200 if allowed else 403)
    nav = auth._client.get("/admin/password").get_data(as_text=True)
    assert ('href="/admin/report"' in nav) is allowed


def test_working_hours_show_in_the_report_heading(staff_app):
    other = staff_app(REPLY_WORKING_HOURS=True)
    client = other.test_client()
    from tests.conftest import STAFF_PASSWORD

    client.post("/admin/login", data={"username": "boss", "password": STAFF_PASSWORD})
    assert "工作日24小时答复承诺" in client.get("/admin/report").get_data(as_text=True)
