"""CSV export of messages: UTF-8 with a BOM so Excel reads the Chinese, and no formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from app.models.consult import Message
from app.templating import local_datetime

BOM = "\ufeff"
HEADERS = [
    "回执号",
    "提交时间(北京时间)",
    "姓名",
    "电话",
    "邮箱",
    "单位",
    "类别",
    "内容",
    "状态",
    "答复",
    "答复时间(北京时间)",
    "答复人",
    "IP",
]
# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula; keep the rest as is."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _row(message: Message) -> list[str]:
    return [
        message.receipt,
        local_datetime(message.created_at),
        message.name,
        message.phone,
        message.email,
        message.company,
        message.category,
        message.content,
        message.status.label,
        message.reply,
        local_datetime(message.replied_at),
        message.replied_by.username if message.replied_by else "",
        message.ip,
    ]


def messages_csv(messages: Iterable[Message]) -> str:
    """The messages as CSV text, BOM first, one header row in Chinese."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for message in messages:
        writer.writerow([neutralise(cell) for cell in _row(message)])
    return BOM + out.getvalue()
