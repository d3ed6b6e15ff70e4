"""The 24-hour promise as arithmetic: deadlines, periods in Beijing time, the report."""

from datetime import date, datetime, timedelta

import pytest

from app.admin.report import (
    Period,
    build_report,
    deadline,
    default_period,
    duration_text,
    promise_report,
)
from app.extensions import db
from app.models import Message, MessageStatus

H = timedelta(hours=1)
CREATED = datetime(2026, 3, 1, 8, 0)


def message(status=MessageStatus.PENDING, replied_after=None, created=CREATED):
    replied_at = created + replied_after if replied_after is not None else None
    return Message(created_at=created, status=status, replied_at=replied_at)


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


def test_report_reads_the_period_from_the_database_in_beijing_days(app):
    with app.app_context():
        for n, (created, answer, status, _) in enumerate(DATA_SET):
            db.session.add(
                Message(
                    name=f"访客{n}",
                    phone="13800000000",
                    category="其他",
                    content="问题",
                    status=status,
                    created_at=created,
                    replied_at=created + answer if answer else None,
                    reply="答复" if answer else "",
                )
            )
        db.session.commit()
        check_figures(promise_report(MARCH_1_TO_7, NOW))


def test_an_empty_period_has_no_rate_and_no_median():
    report = build_report([], MARCH_1_TO_7, NOW)
    assert (report.received, report.answer_rate, report.median_first_answer) == (0, None, None)
