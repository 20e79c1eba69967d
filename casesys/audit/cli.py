"""``flask audit``: verify the chain and anchor its head outside the database."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from casesys.audit.anchors import AnchorError, anchor_path, read_anchors, write_anchor
from casesys.audit.models import AuditEntry
from casesys.audit.services import verify_chain
from casesys.extensions import db

audit_cli = AppGroup("audit", help="Check the audit trail.")


@audit_cli.command("verify")
def audit_verify_command():
    """Recompute the keyed hash chain, check every signed anchor and report the first break."""
    try:
        anchors = read_anchors()
    except AnchorError as exc:
        raise click.ClickException(f"anchor file {anchor_path()} {exc}") from None
    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    with click.progressbar(length=total, label="verifying audit log", file=sys.stderr) as bar:
        report = verify_chain({a.entry_id: a.entry_hash for a in anchors}, progress=bar.update)
    if report.broken:
        raise click.ClickException(f"audit chain broken at entry {report.broken.entry_id}: {report.broken.reason} "
                                   f"({report.checked} entries before it are intact)")
    click.echo(f"audit chain intact: {report.checked} entries")
    if report.legacy:
        click.echo(f"the oldest {report.legacy} entries were hashed without a key, before CASESYS_AUDIT_KEY was "
                   "introduced: only the anchors and the later keyed entries protect them")
    if anchors:
        newest = anchors[-1]
        click.echo(f"{len(anchors)} signed anchors match; the newest records entry {newest.entry_id} at {newest.at}")
    else:
        click.echo(f"no anchors yet in {anchor_path()}: deleting the newest entries would go unnoticed "
                   "(run `flask audit anchor`; the scheduler writes one every 10 minutes)")


@audit_cli.command("anchor")
def audit_anchor_command():
    """Append the chain head, signed with the audit key, to the anchor file (the scheduler does it every 10 minutes)."""
    try:
        anchor = write_anchor()
    except OSError as exc:
        raise click.ClickException(f"cannot write the anchor file: {exc}") from None
    if anchor is None:
        click.echo("the audit log is empty: nothing to anchor")
    else:
        click.echo(f"anchored entry {anchor.entry_id} ({anchor.entry_hash[:12]}…) at {anchor.at} in {anchor_path()}")
