"""Locale choice and label helpers (Chinese first, English second)."""

from __future__ import annotations

from flask import has_request_context, request, session
from flask_babel import gettext
from flask_login import current_user

LOCALES = ("zh_Hans_CN", "en")
DEFAULT_LOCALE = "zh_Hans_CN"


def N_(message: str) -> str:
    """Mark a label for extraction; it is translated where it is shown."""
    return message


def locale_from_header() -> str:
    """The first language in Accept-Language that we speak decides."""
    for language, _quality in request.accept_languages:
        tag = language.lower()
        if tag.startswith("zh"):
            return "zh_Hans_CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


def select_locale() -> str:
    if not has_request_context():
        return "en"  # command-line output is for operators
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    if session.get("locale") in LOCALES:
        return session["locale"]
    return locale_from_header()


def label(mapping: dict, key: str | None) -> str:
    """Translate the English label of an enumerated value (state, IP type, role...)."""
    if key is None:
        return ""
    entry = mapping.get(key)
    if entry is None:
        return key
    return gettext(entry[0] if isinstance(entry, tuple) else entry)
