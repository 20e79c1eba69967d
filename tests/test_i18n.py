"""Every UI string has its Chinese translation, and the shipped catalogue is compiled from it."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from casesys.config import REPO_ROOT

CATALOG = Path(REPO_ROOT, "casesys", "translations", "zh_Hans_CN", "LC_MESSAGES")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}


def _ui_strings() -> set[str]:
    method_map = [("casesys/**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(REPO_ROOT), method_map, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_ui_string_has_a_chinese_translation():
    catalog = read_po((CATALOG / "messages.po").open("rb"))
    translated = {_key(m.id)[0] if isinstance(m.id, tuple | list) else m.id for m in catalog
                  if m.id and m.string and all(_plural(m.string)) and not m.fuzzy}
    missing = sorted(_ui_strings() - translated)
    assert missing == [], f"run `make translations` and translate: {missing}"
    assert len(translated) > 100


def test_compiled_catalogue_matches_the_source():
    source = read_po((CATALOG / "messages.po").open("rb"))
    compiled = read_mo(io.BytesIO((CATALOG / "messages.mo").read_bytes()))
    expected = {_key(m.id): _key(m.string) for m in source if m.id and not m.fuzzy}
    actual = {_key(m.id): _key(m.string) for m in compiled if m.id}
    assert actual == expected, "run `make translations` to recompile messages.mo"


def test_pages_render_in_chinese_by_default(signed_in):
    client = signed_in("zh.user", "230100-market_regulation", "officer")
    page = client.get("/cases/new").get_data(as_text=True)
    for text in ("登记案件", "知识产权类型", "统一社会信用代码", "涉案金额（元）"):
        assert text in page, text
    assert 'lang="zh-CN"' in page


def _plural(value) -> tuple:
    """A message's forms: plural messages (ngettext) have several."""
    return (value,) if isinstance(value, str) else tuple(value)


def _key(value):
    return value if isinstance(value, str) else tuple(value)
