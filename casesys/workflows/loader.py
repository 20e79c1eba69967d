"""Read ``workflows/*.yaml``, validate each against the schema, and check the graphs.

A bad file stops start-up with a message naming the file and the problem; ``flask workflows
check`` runs the same checks.

Effects are proved at load, never dropped at run time. A transition's effect fires a system
transition on the linked case (``target: parent`` or ``children`` through a relation); the effect can
only be received if the other case is then in one of that transition's ``from`` states. For every link
(a transition of P that ``creates`` a case of C under relation r) the loader walks the pairs of states
(state of the P case, state of the C case) the two can be in together, from (the creating
transition's ``to``, C's first state), by these moves:

- C fires one of its own transitions (guards ignored: C may do anything its graph allows); each of
  its effects on the parent through r must be receivable in P's current state, and moves P;
- P fires one of its own transitions, except one guarded by ``no_open_children`` while the C case
  is not final (the guard refuses it then); its effects on the children through r must be receivable
  in C's current state (final states included: a linked child is still linked), and move C;
- a system transition of either case fires on its own when something other than this link may fire
  it: an effect through another relation, or through r from another child of the same P case. Two
  r-children of one P case are open together only if P fires an r-creating transition while one is
  open: the walk first runs with r-effects coming from this child alone and watches for that; if it
  can happen (no ``no_open_children`` guard, and P's graph allows it), the walk runs again with every
  system transition r fires on P free to fire at any time.

This over-approximates what can happen (guards other than ``no_open_children`` are ignored), so if no
reachable pair leaves an effect unreceivable, no run of the two definitions can. A pair that does is
refused with the file of the case that fires the effect, the transition and the state it would
arrive in. Effects fired by a received system transition (chains) are not followed; none exist.
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
        for clock_key in t.clocks.start:
            problems += _check_field_anchor(where, wf.clocks.get(clock_key), clock_key, t)
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
        problems += [f"entries.{i}: clock {c!r} is anchored on a field, and a registration has no step fields"
                     for c in entry.clocks if c in wf.clocks and wf.clocks[c].anchor.startswith("field:")]
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


def _effect_targets(wf: WorkflowDef, effect, workflows: dict[str, WorkflowDef]) -> set[str]:
    """The workflows an effect of ``wf`` reaches: those its link of that relation opens (children)
    or those that open ``wf`` through it (parent)."""
    if effect.target == "children":
        return {t.creates.workflow for t in wf.transitions.values()
                if t.creates and t.creates.relation == effect.relation}
    return {other.key for other in workflows.values() for t in other.transitions.values()
            if t.creates and t.creates.relation == effect.relation and t.creates.workflow == wf.key}


def _check_effect(where, wf, effect, workflows) -> list[str]:
    """An effect fires a system transition of the linked workflow(s) with that relation."""
    targets = _effect_targets(wf, effect, workflows)
    if not targets:
        return [f"{where}: no link {effect.relation!r} connects this workflow to a {effect.target}"]
    problems = []
    for key in targets:
        target = workflows.get(key)
        t = target.transitions.get(effect.transition) if target else None
        if t is None or not t.system:
            problems.append(f"{where}: {key} has no system transition {effect.transition!r}")
    return problems


CHILD_GUARD = "no_open_children"  # refuses a transition while any child case is not final


def _effect_sources(workflows: dict[str, WorkflowDef]) -> dict[tuple[str, str], set[str]]:
    """(workflow, system transition) -> the relations through which some effect fires it."""
    sources: dict[tuple[str, str], set[str]] = {}
    for wf in workflows.values():
        for t in wf.transitions.values():
            for effect in t.effects:
                for key in _effect_targets(wf, effect, workflows):
                    sources.setdefault((key, effect.transition), set()).add(effect.relation)
    return sources


def _spontaneous(wf: WorkflowDef, relation: str, sources, single_child: bool) -> list:
    """System transitions of ``wf`` that something other than this link may fire at any time."""
    found = []
    for name, t in wf.transitions.items():
        if not t.system:
            continue
        relations = sources.get((wf.key, name), set())
        if relations - {relation} or (relation in relations and not single_child):
            found.append(t)
    return found


def _receivable(other: WorkflowDef, effect, state: str) -> str | None:
    """The state the other case moves to on the effect, or None when it cannot receive it."""
    t = other.transitions.get(effect.transition)
    return t.to if t is not None and state in t.from_ else None


def _after_effects(t, target: str, relation: str, other: WorkflowDef, state: str, where: str, whom: str,
                   problems: list[str]) -> str | None:
    """The other case's state once ``t``'s effects through ``relation`` reached it, or None
    (and a problem) when one of them cannot be received there."""
    for effect in t.effects:
        if effect.target != target or effect.relation != relation:
            continue
        moved = _receivable(other, effect, state)
        if moved is None:
            problems.append(f"{where}: its effect {effect.transition!r} can reach {whom} while it is {state!r}, "
                            "where it cannot be received")
            return None
        state = moved
    return state


def check_effects(workflows: dict[str, WorkflowDef], files: dict[str, str]) -> list[str]:
    """Every effect that some reachable pair of linked states cannot receive (module docstring)."""
    problems: set[str] = set()
    sources = _effect_sources(workflows)
    for parent in workflows.values():
        for creating in parent.transitions.values():
            link = creating.creates
            if link is None or link.workflow not in workflows:
                continue
            found: list[str] = []
            if _walk_link(parent, creating, workflows, files, sources, True, found):
                found.clear()
                _walk_link(parent, creating, workflows, files, sources, False, found)
            problems.update(found)
    return sorted(problems)


def _walk_link(parent, creating, workflows, files, sources, single_child, problems) -> bool:
    """Walk one link's pairs (module docstring); True when P may open a sibling meanwhile."""
    link = creating.creates
    child, relation = workflows[link.workflow], link.relation
    sibling = False
    parent_free = _spontaneous(parent, relation, sources, single_child)
    child_free = _spontaneous(child, relation, sources, True)
    start = (creating.to, link.state or child.initial_state)
    seen, queue = {start}, deque([start])

    def visit(pair, seen=seen, queue=queue):
        if pair not in seen:
            seen.add(pair)
            queue.append(pair)

    while queue:
        p, c = queue.popleft()
        for name, t in child.transitions.items():
            if c not in t.from_ or t.system:
                continue
            p2 = _after_effects(t, "parent", relation, parent, p, f"{files[child.key]}: transitions.{name}",
                                f"the {parent.key} case", problems)
            if p2 is not None:
                visit((p2, t.to))
        for name, t in parent.transitions.items():
            if p not in t.from_ or t.system or (t.guard == CHILD_GUARD and not child.is_final(c)):
                continue
            if t.creates and t.creates.relation == relation and not child.is_final(c):
                sibling = True
            c2 = _after_effects(t, "children", relation, child, c, f"{files[parent.key]}: transitions.{name}",
                                f"a {child.key} case", problems)
            if c2 is not None:
                visit((t.to, c2))
        visit_all = [(t.to, c) for t in parent_free if p in t.from_]
        visit_all += [(p, t.to) for t in child_free if c in t.from_]
        for pair in visit_all:
            visit(pair)
    return sibling


def load_workflows(directory: Path = WORKFLOW_DIR, *,
                   handoff_receipt_days: int | None = None) -> dict[str, WorkflowDef]:
    """All definitions, checked; raises WorkflowError naming every bad file and problem.

    ``handoff_receipt_days`` (the ``CASESYS_HANDOFF_RECEIPT_DAYS`` setting), when given, replaces
    every file's ``handoff.receipt_days``: the receipt period is a provincial convention, not law,
    so an administrator sets it (DOMAIN §3.7)."""
    workflows = _load_checked(directory)
    if handoff_receipt_days is None:
        return workflows
    if isinstance(handoff_receipt_days, bool) or not isinstance(handoff_receipt_days, int) or handoff_receipt_days < 1:
        raise WorkflowError(f"the handoff receipt period must be a whole number of working days ≥ 1, "
                            f"not {handoff_receipt_days!r}")
    return {key: wf if wf.handoff is None else wf.model_copy(
                update={"handoff": wf.handoff.model_copy(update={"receipt_days": handoff_receipt_days})})
            for key, wf in workflows.items()}


def _load_checked(directory: Path) -> dict[str, WorkflowDef]:
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
    if not problems:
        problems += check_effects(workflows, files)
    if problems:
        raise WorkflowError("invalid workflow definitions:\n  " + "\n  ".join(problems))
    return workflows


def _check_field_anchor(where: str, clock, clock_key: str, t) -> list[str]:
    """A clock counted from a date the step records needs that date: a required date field."""
    if clock is None or not clock.anchor.startswith("field:"):
        return []
    name = clock.anchor.removeprefix("field:")
    field = next((f for f in t.fields if f.name == name), None)
    if field is None or field.type != "date" or not field.required:
        return [f"{where}: starts {clock_key!r}, anchored on {name!r}, but has no required date field {name!r}"]
    return []
