"""Whole numbers from user input, parsed in one place: query strings, form fields, cursors, cookies.

``str.isdigit()`` and ``int()`` accept more than 0–9: '²' passes isdigit() yet int() fails on it,
and int() reads '٣' or '３' as 3, ' 3' and '+3_0' too. Here a number is ASCII digits and nothing else;
anything else is refused with a 4xx (InvalidInput) that names the parameter.
"""

from __future__ import annotations

from typing import Annotated

from flask import request
from flask_babel import gettext as _
from pydantic import BeforeValidator
from wtforms import IntegerField

from casesys.core.errors import InvalidInput
from casesys.core.types import MAX_ROW_ID


def is_ascii_digits(text) -> bool:
    return isinstance(text, str) and text.isascii() and text.isdigit()


def whole_number(text, low: int, high: int) -> int | None:
    """The number ``text`` spells in ASCII digits if it lies in low..high, else None."""
    if not is_ascii_digits(text):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(high)):  # out of range, and int() refuses more than 4300 digits
        return None
    number = int(digits)
    return number if low <= number <= high else None


def parse_row_id(text) -> int | None:
    """A row id, or None when it is missing, not a number or beyond the id column's range."""
    return whole_number(text, 1, MAX_ROW_ID)


def _refuse(name: str, low: int, high: int) -> InvalidInput:
    return InvalidInput(_("“%(name)s” must be a whole number from %(low)d to %(high)d, in the digits 0–9.",
                          name=name, low=low, high=high),
                        {name: _("a whole number from %(low)d to %(high)d", low=low, high=high)})


def int_arg(name: str, default: int | None, low: int, high: int, args=None) -> int | None:
    """``?name=`` (or ``args[name]``): ``default`` when absent or empty; 422 unless a number in low..high."""
    text = (request.args if args is None else args).get(name)
    if text is None or text == "":
        return default
    number = whole_number(text, low, high)
    if number is None:
        raise _refuse(name, low, high)
    return number


def row_id_arg(name: str, args=None) -> int | None:
    """An optional row id such as ``?after=``: None when absent or beyond the id range (it matches
    nothing); 422 when it is not written in the digits 0–9."""
    text = (request.args if args is None else args).get(name)
    if text is None or text == "":
        return None
    if not is_ascii_digits(text):
        raise _refuse(name, 1, MAX_ROW_ID)
    return parse_row_id(text)


def _digits_only(value):
    """Pydantic: a string must be ASCII digits (its own lax parsing takes ' 3', '+3', '3_0', '3.0')."""
    if isinstance(value, str) and not is_ascii_digits(value):
        raise ValueError(_("a whole number in the digits 0–9"))
    return value


# An int in a query string or a JSON body; use in pydantic models instead of a bare int. Bounds of an
# optional one go before ASCII_DIGITS (``Annotated[int, Field(ge=1), ASCII_DIGITS] | None``), or the
# JSON schema shows them as ge/le rather than minimum/maximum.
ASCII_DIGITS = BeforeValidator(_digits_only)
WholeNumber = Annotated[int, ASCII_DIGITS]


class WholeNumberField(IntegerField):
    """WTForms' IntegerField reads with int(), so '٣' is 3; this one takes the digits 0–9 only."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0]
        self.data = int(text) if is_ascii_digits(text) and len(text) <= 18 else None
        if self.data is None:
            raise ValueError(self.gettext("Not a valid integer value."))  # WTForms' own, translated
