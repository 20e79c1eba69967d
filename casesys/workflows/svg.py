"""A workflow's state graph as inline SVG, drawn on the server (no script, no inline style: CSP).

Layout: one row per BFS depth from the initial state (then from the other entry states), states
side by side within a row. Forward edges run down between rows; edges back up or within a row
bend out to the right. Looks come from CSS classes in ``casesys.css``.
"""

from __future__ import annotations

from collections import deque

from markupsafe import Markup, escape

from casesys.workflows.definitions import WorkflowDef

ROW_GAP, COL_GAP, NODE_H, MARGIN, MIN_W, MAX_W = 46, 24, 36, 24, 80, 250


def _text_width(label: str) -> int:
    """Rough width at 13px: CJK characters are about square, Latin about half as wide."""
    return sum(13 if ord(ch) >= 0x2E80 else 7 for ch in label)


def _depths(wf: WorkflowDef) -> dict[str, int]:
    starts = [wf.initial_state, *(e.state for e in wf.entries)]
    successors: dict[str, list[str]] = {key: [] for key in wf.states}
    for t in wf.transitions.values():
        for source in t.from_:
            if t.to != source:
                successors[source].append(t.to)
    depth: dict[str, int] = {}
    for start in starts:
        if start in depth:
            continue
        depth[start] = 0
        queue = deque([start])
        while queue:
            state = queue.popleft()
            for nxt in successors[state]:
                if nxt not in depth:
                    depth[nxt] = depth[state] + 1
                    queue.append(nxt)
    bottom = max(depth.values(), default=-1) + 1
    return {key: depth.get(key, bottom) for key in wf.states}  # unreachable states: a last row


def _edges(wf: WorkflowDef, locale: str) -> dict[tuple[str, str], list[str]]:
    """Transition labels by (from, to); steps that keep the state are left out of the picture."""
    edges: dict[tuple[str, str], list[str]] = {}
    for t in wf.transitions.values():
        for source in t.from_:
            if source != t.to:
                edges.setdefault((source, t.to), []).append(t.label(locale))
    return edges


def render(wf: WorkflowDef, current: str | None, locale: str) -> Markup:
    depth = _depths(wf)
    rows: dict[int, list[str]] = {}
    for key in wf.states:
        rows.setdefault(depth[key], []).append(key)
    labels = {key: state.label(locale) for key, state in wf.states.items()}
    node_w = min(MAX_W, max(MIN_W, *(_text_width(label) + 24 for label in labels.values())))
    widest = max(len(keys) for keys in rows.values())
    width = 2 * MARGIN + widest * node_w + (widest - 1) * COL_GAP + 60  # room for edges bending right
    height = 2 * MARGIN + len(rows) * NODE_H + (len(rows) - 1) * ROW_GAP

    pos: dict[str, tuple[int, int]] = {}
    for row_index, row in enumerate(sorted(rows)):
        keys = _ordered(rows[row], wf, pos)
        row_w = len(keys) * node_w + (len(keys) - 1) * COL_GAP
        left = MARGIN + (widest * node_w + (widest - 1) * COL_GAP - row_w) // 2
        for i, key in enumerate(keys):
            pos[key] = (left + i * (node_w + COL_GAP), MARGIN + row_index * (NODE_H + ROW_GAP))

    title = escape(wf.label(locale))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wf-diagram" id="workflow-diagram" role="img" '
        f'aria-labelledby="wf-diagram-title" viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f'<title id="wf-diagram-title">{title}</title>',
        '<defs><marker id="wf-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path class="wf-arrowhead" d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ]
    for (source, target), names in _edges(wf, locale).items():
        parts.append(f'<path class="wf-edge" d="{_path(pos[source], pos[target], node_w)}" '
                     f'marker-end="url(#wf-arrow)"><title>{escape(" / ".join(names))}</title></path>')
    for key, state in wf.states.items():
        x, y = pos[key]
        classes = ["wf-node"]
        if key == current:
            classes.append("wf-current")
        if state.final:
            classes.append("wf-final")
        parts.append(f'<g class="{" ".join(classes)}" data-state="{escape(key)}"><title>{escape(key)}</title>')
        parts.append(f'<rect x="{x}" y="{y}" width="{node_w}" height="{NODE_H}" rx="8"/>')
        if state.final:  # a double border, as in state-chart notation
            parts.append(f'<rect class="wf-inner" x="{x + 3}" y="{y + 3}" width="{node_w - 6}" '
                         f'height="{NODE_H - 6}" rx="6"/>')
        parts.append(f'<text x="{x + node_w // 2}" y="{y + NODE_H // 2}" text-anchor="middle" '
                     f'dominant-baseline="central">{escape(labels[key])}</text></g>')
    parts.append("</svg>")
    return Markup("\n".join(parts))


def _ordered(keys: list[str], wf: WorkflowDef, placed: dict[str, tuple[int, int]]) -> list[str]:
    """A row sorted under the mean x of its states' placed predecessors (fewer crossings);
    states without one keep their file order, after the others."""
    parents: dict[str, list[int]] = {key: [] for key in keys}
    for t in wf.transitions.values():
        for source in t.from_:
            if t.to in parents and source in placed:
                parents[t.to].append(placed[source][0])
    order = {key: i for i, key in enumerate(keys)}
    return sorted(keys, key=lambda k: (not parents[k], sum(parents[k]) / len(parents[k]) if parents[k] else 0,
                                       order[k]))


def _path(source: tuple[int, int], target: tuple[int, int], node_w: int) -> str:
    (sx, sy), (tx, ty) = source, target
    if ty > sy:  # down to a later row: bottom centre to top centre
        x1, y1, x2, y2 = sx + node_w // 2, sy + NODE_H, tx + node_w // 2, ty
        mid = (y1 + y2) // 2
        return f"M{x1},{y1} C{x1},{mid} {x2},{mid} {x2},{y2}"
    if ty == sy:  # along the same row: top centre to top centre, arching over the row gap
        x1, x2, y1 = sx + node_w // 2, tx + node_w // 2, sy
        arch = y1 - ROW_GAP // 2
        return f"M{x1},{y1} C{x1},{arch} {x2},{arch} {x2},{y1}"
    # back up to an earlier row: right side to right side, bowing out to the right
    x1, y1, x2, y2 = sx + node_w, sy + NODE_H // 2, tx + node_w, ty + NODE_H // 2
    bow = max(x1, x2) + 30 + abs(y1 - y2) // 6
    return f"M{x1},{y1} C{bow},{y1} {bow},{y2} {x2},{y2}"
