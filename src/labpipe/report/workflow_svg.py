"""The workflow's rule graph as an SVG picture, drawn without Graphviz.

A plain layered drawing: each rule sits one row below the lowest rule it reads from (the
longest path from the first rules), rules in a row are ordered by where their inputs sit
(one barycentre pass, enough for a graph of thirty rules), and an arrow runs from each
producer to each consumer, except where a longer path already links them (the transitive
reduction: ``reference_index`` feeds ``align`` and everything after it, but one arrow says
so). Boxes are coloured by stage (the workflow's rule file), with a legend; as in
:mod:`labpipe.report.svg_plots` every label is escaped text: no script, no font or image
to fetch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from labpipe.report.svg_plots import AXIS, FONT, TEXT

# Light fills that keep black text readable and survive greyscale printing.
_FILLS = ("#dbe9f6", "#fde2c8", "#d9f0d3", "#f3d9ec", "#fff3b0", "#e0e0f0", "#d5f0f0", "#eeeeee")
_ROW, _BOX_H, _GAP, _PAD, _CHAR = 78, 30, 18, 20, 7.4


def layers(rules: Sequence[str], edges: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Rules by row: a rule's row is one more than the highest row of what it reads."""
    inputs: dict[str, list[str]] = {rule: [] for rule in rules}
    for producer, consumer in edges:
        inputs[consumer].append(producer)
    row: dict[str, int] = {}

    def depth(rule: str, seen: frozenset[str] = frozenset()) -> int:
        if rule not in row:
            # A cycle cannot come from Snakemake; `seen` only keeps a bad graph from recursing.
            before = [depth(p, seen | {rule}) for p in inputs[rule] if p not in seen]
            row[rule] = 1 + max(before, default=-1)
        return row[rule]

    rows: list[list[str]] = [[] for _ in range(1 + max((depth(r) for r in rules), default=-1))]
    for rule in rules:
        rows[row[rule]].append(rule)
    # Each row ordered by the mean place of its inputs in the rows above.
    place: dict[str, float] = {}
    for members in rows:
        members.sort(
            key=lambda r: (
                sum(place[p] for p in inputs[r]) / len(inputs[r]) if inputs[r] else 0.0,
                r,
            )
        )
        place.update({rule: i / max(1, len(members) - 1) for i, rule in enumerate(members)})
    return rows


def direct_edges(edges: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """``edges`` without those another path implies (a -> c when a -> b -> c exists)."""
    after: dict[str, set[str]] = {}
    for producer, consumer in edges:
        after.setdefault(producer, set()).add(consumer)

    def reachable(start: str, skip: tuple[str, str]) -> set[str]:
        seen: set[str] = set()
        todo = [n for n in after.get(start, ()) if (start, n) != skip]
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo += after.get(node, ())
        return seen

    return [(a, b) for a, b in edges if b not in reachable(a, (a, b))]


def workflow_svg(
    rules: Sequence[str],
    edges: Sequence[tuple[str, str]],
    stages: Mapping[str, str],
    title: str,
) -> str:
    """The rule graph as one ``<svg>`` document, read top (first rules) to bottom (``all``)."""
    edges = direct_edges(edges)
    rows = layers(rules, edges)
    width_of = {rule: round(_CHAR * len(rule)) + 2 * 12 for rule in rules}
    row_widths = [sum(width_of[r] for r in row) + _GAP * (len(row) - 1) for row in rows]
    order = list(dict.fromkeys(stages.get(rule, "") for row in rows for rule in row))
    fill = {stage: _FILLS[i % len(_FILLS)] for i, stage in enumerate(order)}
    legend_y = 44 + _ROW * len(rows)
    width = max([*row_widths, 200]) + 2 * _PAD
    height = legend_y + 36
    box: dict[str, tuple[float, float]] = {}  # rule -> centre of its box
    for index, row in enumerate(rows):
        x = _PAD + (width - 2 * _PAD - row_widths[index]) / 2
        for rule in row:
            box[rule] = (x + width_of[rule] / 2, 44 + index * _ROW + _BOX_H / 2)
            x += width_of[rule] + _GAP
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
        f'viewBox="0 0 {width:.0f} {height}" role="img" font-family="{FONT}" font-size="12">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{AXIS}"/>'
        "</marker></defs>",
        f'<rect width="100%" height="100%" fill="#fff"/>'
        f'<text x="{_PAD}" y="24" fill="{TEXT}" font-size="15" font-weight="bold">'
        f"{escape(title)}</text>",
    ]
    for producer, consumer in edges:
        (x1, y1), (x2, y2) = box[producer], box[consumer]
        y1, y2 = y1 + _BOX_H / 2, y2 - _BOX_H / 2
        bend = (y2 - y1) / 2
        parts.append(
            f'<path d="M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} '
            f'{x2:.1f},{y2:.1f}" fill="none" stroke="{AXIS}" stroke-width="1.2" '
            'marker-end="url(#arrow)"/>'
        )
    for rule, (x, y) in box.items():
        parts.append(
            f"<g><title>{escape(rule)} ({escape(stages.get(rule, ''))})</title>"
            f'<rect x="{x - width_of[rule] / 2:.1f}" y="{y - _BOX_H / 2:.1f}" '
            f'width="{width_of[rule]}" height="{_BOX_H}" rx="6" '
            f'fill="{fill[stages.get(rule, "")]}" stroke="{AXIS}"/>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" fill="{TEXT}">'
            f"{escape(rule)}</text></g>"
        )
    x = float(_PAD)
    for stage in order:
        label = f"rules/{stage}.smk" if stage != "all" else "Snakefile"
        parts.append(
            f'<rect x="{x:.1f}" y="{legend_y}" width="14" height="14" fill="{fill[stage]}" '
            f'stroke="{AXIS}"/><text x="{x + 20:.1f}" y="{legend_y + 12}" fill="{TEXT}">'
            f"{escape(label)}</text>"
        )
        x += 20 + _CHAR * len(label) + 16
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
