"""Read ``workflows/*.yaml``, validate each against the schema, and check the graphs.

A bad file stops start-up with a message naming the file and the problem; ``flask workflows
check`` runs the same checks.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import yaml
from pydantic import ValidationError

from casesys.agencies.models import AGENCY_KINDS
from casesys.auth.permissions import ROLES
from casesys.config import REPO_ROOT
from casesys.workflows import registry
from casesys.workflows.definitions import RESERVED_FIELD_NAMES, WorkflowDef

WORKFLOW_DIR = REPO_ROOT / "workflows"
HANDOFF_CLOCK = "handoff_receipt"
SUPERVISION_CLOCK = "supervision_order"


class WorkflowError(Exception):
    """One or more definition files are invalid; the message lists every problem."""


def _parse(path: Path) -> tuple[WorkflowDef | None, list[str]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return None, [f"{path.name}: cannot read: {exc}"]
    try:
        definition = WorkflowDef.model_validate(raw)
    except ValidationError as exc:
        return None, [f"{path.name}: {'.'.join(map(str, err['loc'])) or 'file'}: {err['msg']}"
                      for err in exc.errors()]
    if definition.key != path.stem:
        return None, [f"{path.name}: key {definition.key!r} must match the file name"]
    return definition, []


def _reachable(wf: WorkflowDef) -> set[str]:
    seen, queue = {wf.initial_state}, deque([wf.initial_state])
    while queue:
        state = queue.popleft()
        for t in wf.transitions.values():
            if state in t.from_ and t.to not in seen:
                seen.add(t.to)
                queue.append(t.to)
    return seen


def check_definition(wf: WorkflowDef, workflows: dict[str, WorkflowDef]) -> list[str]:
    """Every problem with one definition, given all the others (links cross files)."""
    problems: list[str] = []
    initial = [key for key, s in wf.states.items() if s.initial]
    if len(initial) != 1:
        return [f"needs exactly one initial state, has {len(initial)}: {initial}"]
    if not any(s.final for s in wf.states.values()):
        problems.append("has no final state")
    for kind in wf.agency_kinds:
        if kind not in AGENCY_KINDS:
            problems.append(f"agency_kinds: unknown agency kind {kind!r}")
    clocks = set(wf.clocks) | {HANDOFF_CLOCK}
    for key, clock in wf.clocks.items():
        problems += [f"clocks.{key}: unknown agency kind {k!r}" for k in clock.agency_kinds or ()
                     if k not in AGENCY_KINDS]
        for step in clock.extensions:
            if step.approver not in ROLES:
                problems.append(f"clocks.{key}: unknown approver role {step.approver!r}")

    for name, t in wf.transitions.items():
        where = f"transitions.{name}"
        for state in [*t.from_, t.to]:
            if state not in wf.states:
                problems.append(f"{where}: unknown state {state!r}")
        problems += [f"{where}: leaves final state {s!r}" for s in t.from_ if s in wf.states and wf.is_final(s)]
        problems += [f"{where}: unknown role {r!r}" for r in t.roles if r not in ROLES]
        problems += [f"{where}: unknown agency kind {k!r}" for k in t.agency_kinds or () if k not in AGENCY_KINDS]
        if t.system and t.roles:
            problems.append(f"{where}: a system transition is fired by the engine and takes no roles")
        if not t.system and not t.roles:
            problems.append(f"{where}: names no role that may fire it")
        problems += [f"{where}: unknown clock {c!r}" for c in t.clocks.all() if c not in clocks]
        field_names = {f.name for f in t.fields}
        for clock_key, condition in t.clocks.when.items():
            if clock_key not in t.clocks.start:
                problems.append(f"{where}: clocks.when names {clock_key!r}, which it does not start")
            problems += [f"{where}: clocks.when uses unknown field {f!r}" for f in condition if f not in field_names]
        for clock_key in t.clocks.extend:
            if clock_key in wf.clocks and not wf.clocks[clock_key].extensions:
                problems.append(f"{where}: extends {clock_key!r}, which declares no extensions")
        for clock_key in t.clocks.pause:
            if clock_key in wf.clocks and wf.clocks[clock_key].unit == "hours":
                problems.append(f"{where}: hour clocks cannot pause ({clock_key!r})")
        for f in t.fields:
            if f.name in RESERVED_FIELD_NAMES:
                problems.append(f"{where}: the field name {f.name!r} is reserved")
            if f.type == "choice" and not f.choices:
                problems.append(f"{where}: field {f.name!r} is a choice without choices")
            if f.type == "agency" and f.agency_kind not in AGENCY_KINDS:
                problems.append(f"{where}: field {f.name!r} needs a known agency_kind")
        if t.guard and t.guard not in registry.GUARDS:
            problems.append(f"{where}: unknown guard {t.guard!r}")
        if t.action and t.action not in registry.ACTIONS:
            problems.append(f"{where}: unknown action {t.action!r}")
        if t.creates:
            problems += _check_link(where, t, workflows)
        for effect in t.effects:
            problems += _check_effect(where, wf, effect, workflows)

    for i, entry in enumerate(wf.entries):
        if entry.state not in wf.states:
            problems.append(f"entries.{i}: unknown state {entry.state!r}")
        problems += [f"entries.{i}: unknown clock {c!r}" for c in entry.clocks if c not in wf.clocks]
        problems += [f"entries.{i}: unknown role {r!r}" for r in entry.roles if r not in ROLES]
        problems += [f"entries.{i}: unknown agency kind {k!r}" for k in entry.agency_kinds if k not in AGENCY_KINDS]
    if wf.handoff:
        for state in wf.handoff.states:
            if state not in wf.states or wf.is_final(state):
                problems.append(f"handoff: {state!r} is not a state a case can be handed off in")
        problems += [f"handoff: unknown clock {c!r}" for c in wf.handoff.restart_clocks if c not in wf.clocks]
        problems += [f"handoff: {k!r} does not own {wf.key} cases" for k in wf.handoff.agency_kinds or ()
                     if k not in wf.agency_kinds]

    if not problems:
        unreachable = set(wf.states) - _reachable(wf)
        if unreachable:
            problems.append(f"states not reachable from {wf.initial_state!r}: {sorted(unreachable)}")
        for key, state in wf.states.items():
            if not state.final and not any(key in t.from_ for t in wf.transitions.values()):
                problems.append(f"state {key!r} is not final but no transition leaves it")
    return problems


def _check_link(where, t, workflows) -> list[str]:
    link = t.creates
    target = workflows.get(link.workflow)
    if target is None:
        return [f"{where}: creates a case in unknown workflow {link.workflow!r}"]
    problems = []
    if link.state and link.state not in target.states:
        problems.append(f"{where}: {link.workflow} has no state {link.state!r}")
    if link.owner == "field" and link.owner_field not in {f.name for f in t.fields if f.type == "agency"}:
        problems.append(f"{where}: owner_field must name one of its agency fields")
    if link.owner == "same_region" and link.owner_kind not in AGENCY_KINDS:
        problems.append(f"{where}: owner_kind must be a known agency kind")
    return problems


def _check_effect(where, wf, effect, workflows) -> list[str]:
    """An effect fires a system transition of the linked workflow(s) with that relation."""
    if effect.target == "children":
        targets = {t.creates.workflow for t in wf.transitions.values()
                   if t.creates and t.creates.relation == effect.relation}
    else:
        targets = {other.key for other in workflows.values() for t in other.transitions.values()
                   if t.creates and t.creates.relation == effect.relation and t.creates.workflow == wf.key}
    if not targets:
        return [f"{where}: no link {effect.relation!r} connects this workflow to a {effect.target}"]
    problems = []
    for key in targets:
        target = workflows.get(key)
        t = target.transitions.get(effect.transition) if target else None
        if t is None or not t.system:
            problems.append(f"{where}: {key} has no system transition {effect.transition!r}")
    return problems


def load_workflows(directory: Path = WORKFLOW_DIR) -> dict[str, WorkflowDef]:
    """All definitions, checked; raises WorkflowError naming every bad file and problem."""
    workflows, problems = {}, []
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise WorkflowError(f"no workflow definitions in {directory}")
    files = {}
    for path in paths:
        definition, errors = _parse(path)
        problems += errors
        if definition:
            workflows[definition.key] = definition
            files[definition.key] = path.name
    for key, definition in workflows.items():
        problems += [f"{files[key]}: {p}" for p in check_definition(definition, workflows)]
    if problems:
        raise WorkflowError("invalid workflow definitions:\n  " + "\n  ".join(problems))
    return workflows
