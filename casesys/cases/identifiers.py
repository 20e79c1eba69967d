"""Check characters of Chinese identifiers."""

from __future__ import annotations

import re

from flask_babel import gettext as _

# GB 32100-2015 统一社会信用代码: 18 characters from this 31-character alphabet (no I, O, Z, S, V).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11643-1999 公民身份号码.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Return why ``code`` is not a valid USCC, or None if it is."""
    if len(code) != 18:
        return _("must be 18 characters")
    bad = sorted({ch for ch in code if ch not in USCC_ALPHABET})
    if bad:
        return _("contains characters not allowed in a USCC: %(chars)s", chars="".join(bad))
    if uscc_check_character(code[:17]) != code[17]:
        return _("check character does not match")
    return None


def id_number_problem(number: str) -> str | None:
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):  # not isdigit(): it takes '²', which int() refuses
        return _("must be 17 digits followed by a digit or X")
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    if ID_CHECK[total % 11] != number[17]:
        return _("check digit does not match")
    return None
