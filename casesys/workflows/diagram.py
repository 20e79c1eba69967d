"""A workflow's state graph as Mermaid or Graphviz text."""

from __future__ import annotations

from casesys.workflows.definitions import WorkflowDef


def _edges(wf: WorkflowDef):
    seen = set()
    for name, t in wf.transitions.items():
        for source in t.from_:
            if (source, t.to, name) not in seen:
                seen.add((source, t.to, name))
                yield source, t.to, name, t


def mermaid(wf: WorkflowDef, current: str | None = None, locale: str = "zh") -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {wf.initial_state}"]
    for key, state in wf.states.items():
        lines.append(f'    state "{state.label(locale)} ({key})" as {key}')
    for source, target, _name, t in _edges(wf):
        lines.append(f"    {source} --> {target}: {t.label(locale)}")
    lines += [f"    {key} --> [*]" for key, state in wf.states.items() if state.final]
    if current:
        lines += ["    classDef current fill:#fde68a,stroke:#b45309,stroke-width:2px", f"    class {current} current"]
    return "\n".join(lines)


def graphviz(wf: WorkflowDef, current: str | None = None, locale: str = "zh") -> str:
    lines = [f'digraph "{wf.key}" {{', "    rankdir=LR;", "    node [shape=box, style=rounded];"]
    for key, state in wf.states.items():
        attrs = [f'label="{state.label(locale)}\\n{key}"']
        if state.final:
            attrs.append("peripheries=2")
        if key == current:
            attrs.append('style="rounded,filled", fillcolor="#fde68a"')
        lines.append(f"    {key} [{', '.join(attrs)}];")
    for source, target, _name, t in _edges(wf):
        lines.append(f'    {source} -> {target} [label="{t.label(locale)}"];')
    lines.append("}")
    return "\n".join(lines)
