"""Workflows as data (``workflows/*.yaml``) and the engine that runs them (DOMAIN §3–4)."""

from __future__ import annotations

from flask import Flask

from casesys.reminders import models as _reminder_models  # noqa: F401
from casesys.reporting import models as _reporting_models  # noqa: F401
from casesys.stats import models as _stats_models  # noqa: F401
from casesys.workcalendar import models as _calendar_models  # noqa: F401 (mappers must exist before the first query)
from casesys.workflows import models  # noqa: F401


def init_app(app: Flask) -> None:
    """Load and check every definition; a bad file stops start-up with its name and problem."""
    from pathlib import Path

    from casesys.workflows.cli import workflows_cli
    from casesys.workflows.loader import load_workflows
    from casesys.workflows.views import bp

    app.extensions["casesys.workflows"] = load_workflows(Path(app.config["CASESYS_WORKFLOW_DIR"]))
    app.cli.add_command(workflows_cli)
    app.register_blueprint(bp)
