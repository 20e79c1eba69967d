"""The schema comes from the migrations, and the models agree with it."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate  # noqa: F401 - the extension is what `flask db` uses

from casesys.config import REPO_ROOT
from casesys.extensions import db


def test_models_and_migrations_agree(app):
    """What `flask db check` does, on whichever database this run uses."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_flask_db_check_command(runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_one_head_and_named_revisions(app):
    config = app.extensions["migrate"].migrate.get_config(str(REPO_ROOT / "migrations"))
    scripts = ScriptDirectory.from_config(config)
    assert len(scripts.get_heads()) == 1
    for path in Path(REPO_ROOT, "migrations", "versions").glob("*.py"):
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+\.py", path.name), path.name
        revision = re.search(r"^revision = ['\"](\w+)['\"]", path.read_text(), re.M).group(1)
        assert path.name.startswith(revision + "_")


def test_constraint_names_follow_the_convention(app):
    names = [c.name for t in db.metadata.sorted_tables for c in t.constraints]
    assert all(names) and all(re.match(r"(pk|fk|uq|ck)_", n) for n in names), names
