"""Every clock of every workflow in one table (``flask workflows clocks``, docs/workflows.md):
what it is for, who it applies to, its period, where it counts from, its extensions, its legal
basis, and whether it is a statutory limit, one whose text is still to be verified, or an
internal target."""

from __future__ import annotations

from casesys.workflows.decide import clock_definition
from casesys.workflows.definitions import ClockDef, WorkflowDef
from casesys.workflows.loader import HANDOFF_CLOCK

UNITS = {"natural_days": "days", "working_days": "working days", "months": "months", "hours": "hours"}
# Words a legal basis uses when its period could not be checked against an official text.
UNVERIFIED = ("待核实", "未核实", "to be verified", "to be re-verified", "not verified", "unverified")


def standing(clock: ClockDef, key: str = "") -> str:
    if key == HANDOFF_CLOCK:
        return "provincial convention (configurable)"
    if clock.kind == "follow_up":
        return "internal target"
    basis = f"{clock.legal_basis.zh} {clock.legal_basis.en}".lower()
    return "statutory, text to be verified" if any(w.lower() in basis for w in UNVERIFIED) else "statutory"


def _period(duration: int, unit: str) -> str:
    return f"{duration} {UNITS[unit]}"


def rows(workflows: dict[str, WorkflowDef]) -> list[list[str]]:
    table = []
    for wf in sorted(workflows.values(), key=lambda w: w.key):
        clocks = dict(wf.clocks)
        if wf.handoff is not None:  # the handoff block's implied clock
            clocks[HANDOFF_CLOCK] = clock_definition(wf, HANDOFF_CLOCK)
        for key, clock in clocks.items():
            extensions = "; ".join(f"+{_period(x.amount, x.unit) if x.amount else 'as approved'} ({x.approver})"
                                   for x in clock.extensions) or "—"
            table.append([wf.key, f"`{key}` {clock.label.zh}", ", ".join(clock.agency_kinds or wf.agency_kinds),
                          _period(clock.duration, clock.unit) + (", rolls forward" if clock.roll_forward else ""),
                          clock.anchor, extensions, clock.legal_basis.zh, standing(clock, key)])
    return table


def markdown(workflows: dict[str, WorkflowDef]) -> str:
    head = ["workflow", "clock", "agency kinds", "period", "counted from", "extensions", "legal basis", "standing"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows(workflows)]
    return "\n".join(lines) + "\n"
