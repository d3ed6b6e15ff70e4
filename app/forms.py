"""Validators every form shares: text that is really there, dates the calendar can hold."""

from __future__ import annotations

import unicodedata
from datetime import date

from wtforms.validators import StopValidation, ValidationError

# Letters that draw nothing: Hangul fillers and the blank Braille pattern.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Spaces, format characters (zero-width space and joiners, BOM, soft hyphen, bidi marks),
# controls and marks without a letter to sit on (variation selectors, the grapheme joiner).
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cf", "Cc", "Mn", "Me"})

DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2099, 12, 31)


def is_blank(text: str | None) -> bool:
    """True when ``text`` shows nothing: empty, spaces, or only invisible characters."""
    return all(
        ch.isspace() or ch in _BLANK_LETTERS or unicodedata.category(ch) in _INVISIBLE_CATEGORIES
        for ch in text or ""
    )


class Required:
    """The field must show something: empty text, spaces and invisible characters
    (zero-width spaces, joiners, variation selectors…) count as missing.

    Stops the field's other checks, as WTForms' ``DataRequired`` does, and like it marks
    the input ``required`` in the HTML.
    """

    field_flags = {"required": True}

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, _form, field) -> None:
        data = field.data
        if data is None or (isinstance(data, str) and is_blank(data)):
            field.errors[:] = []
            raise StopValidation(self.message)


def date_in_range(_form, field) -> None:
    """A date between ``DATE_MIN`` and ``DATE_MAX``: years like 0001 or 9999 are typing
    mistakes, and arithmetic on them (a day later, a time zone away) would overflow."""
    if field.data is not None and not DATE_MIN <= _as_date(field.data) <= DATE_MAX:
        raise ValidationError(f"日期须在 {DATE_MIN:%Y-%m-%d} 至 {DATE_MAX:%Y-%m-%d} 之间。")


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") else value
