"""What the benchmark scripts share: an app on a given database, without the embedded scheduler."""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from casesys import create_app  # noqa: E402
from casesys.config import normalise_database_url  # noqa: E402


def make_app(url: str):
    return create_app({
        "TESTING": True,
        "CASESYS_ENV": "test",
        "SECRET_KEY": secrets.token_hex(16),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
        "SESSION_COOKIE_SECURE": False,
        "CASESYS_SCHEDULER_EMBEDDED": False,
        "CASESYS_AUDIT_KEY": secrets.token_hex(32),  # a throw-away database: a throw-away chain key
        "CASESYS_AUDIT_ANCHOR_FILE": os.path.join(tempfile.gettempdir(), "casesys-benchmark-anchors.jsonl"),
    })
