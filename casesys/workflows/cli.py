"""``flask workflows check``, ``flask workflows diagram KEY`` and ``flask workflows clocks``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from casesys.workflows import clock_table, diagram
from casesys.workflows.loader import WORKFLOW_DIR, WorkflowError, load_workflows

workflows_cli = AppGroup("workflows", help="Check workflow definitions and draw them.")


@workflows_cli.command("check")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False), default=str(WORKFLOW_DIR),
              help="The folder of definitions to check.")
def check(directory):
    """Validate every definition and its graph; exit 1 listing each problem."""
    try:
        found = load_workflows(Path(directory))
    except WorkflowError as exc:
        raise click.ClickException(str(exc)) from None
    for key, wf in found.items():
        click.echo(f"ok  {key} v{wf.version}: {len(wf.states)} states, {len(wf.transitions)} transitions, "
                   f"{len(wf.clocks)} clocks")


@workflows_cli.command("diagram")
@click.argument("key")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "graphviz"]), default="mermaid")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
def draw(key, fmt, lang):
    """Print the state diagram of workflow KEY."""
    found = current_app.extensions["casesys.workflows"]
    if key not in found:
        raise click.ClickException(f"no workflow {key!r}; known: {', '.join(sorted(found))}")
    render = diagram.mermaid if fmt == "mermaid" else diagram.graphviz
    click.echo(render(found[key], locale=lang))


@workflows_cli.command("clocks")
def clocks():
    """Print every clock of every workflow as one Markdown table (docs/workflows.md)."""
    click.echo(clock_table.markdown(current_app.extensions["casesys.workflows"]), nl=False)
