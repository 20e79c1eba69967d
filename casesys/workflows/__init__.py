"""Workflows as data (``workflows/*.yaml``) and the engine that runs them (DOMAIN §3–4)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Load and check every definition (a bad file stops start-up with its name and problem), and
    register the engine's clocks with the calendar, which asks them to recompute when it changes."""
    from pathlib import Path

    from casesys.workcalendar.listeners import register_clock_owner
    from casesys.workflows.cli import workflows_cli
    from casesys.workflows.loader import load_workflows
    from casesys.workflows.recalculation import CLOCK_OWNER

    app.extensions["casesys.workflows"] = load_workflows(
        Path(app.config["CASESYS_WORKFLOW_DIR"]),
        handoff_receipt_days=app.config.get("CASESYS_HANDOFF_RECEIPT_DAYS"))  # configuration, not law
    app.cli.add_command(workflows_cli)
    register_clock_owner(app, "workflows", CLOCK_OWNER)
