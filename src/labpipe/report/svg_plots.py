"""The report's plots as inline SVG: no script, no font or image to fetch, sharp in print.

Each function returns one ``<svg>`` element as text, sized in CSS pixels, with
a ``<title>`` for screen readers. Every label is escaped; colours come from a
small fixed palette that survives greyscale printing (status is also written
as text beside each bar).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from unicodedata import east_asian_width

from labpipe.core.i18n import _

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
GOOD, LOW, MISSING, AXIS, GRID, TEXT = "#2e7d4f", "#d08b00", "#b3261e", "#555", "#ddd", "#222"


def _text_width(text: str, narrow: float) -> float:
    """Pixels a 12px label needs: ``narrow`` a character, a full em for a Chinese one."""
    return sum(13.0 if east_asian_width(ch) in "WF" else narrow for ch in text)


@dataclass(frozen=True)
class CoverageBar:
    """One gene's bar.

    Attributes:
        label: Gene symbol.
        pct: Percentage of targeted bases at the report depth; None when not targeted.
        note: Text right of the bar, e.g. ``99.9% >=20x, mean 98x``.
        missing: Why there is no bar (``not targeted``, ``not in the GFF3``).
    """

    label: str
    pct: float | None
    note: str
    missing: str = ""


def coverage_bars(bars: Sequence[CoverageBar], threshold_pct: float, depth: int) -> str:
    """Horizontal bars of % target bases at ``depth`` per gene, with the lab's threshold.

    Args:
        bars: One per gene, in display order.
        threshold_pct: The lab's minimum % of target bases at ``depth``
            (a dashed line; shorter bars are drawn in amber).
        depth: The depth judged, for the axis title.
    """
    row, top, width = 22, 30, 360
    # Room for the longest label and note, so that no text is cut off at the SVG's edge
    # (DejaVu Sans at 12px is at most ~7.6px a character; bold labels ~8.4px).
    left = max(90, 16 + round(max((_text_width(b.label, 8.4) for b in bars), default=0)))
    note_width = max(230, 16 + round(max((_text_width(b.note, 7.6) for b in bars), default=0)))
    height = top + row * len(bars) + 34
    total = left + width + note_width
    no_data = _("no data")
    title = _("Percentage of targeted bases at >= %(depth)sx, per panel gene") % {"depth": depth}
    parts = [
        f'<svg width="{total}" height="{height}" '
        f'viewBox="0 0 {total} {height}" role="img" font-family="{FONT}" font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (0, 25, 50, 75, 100):
        x = left + width * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{top + row * len(bars)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle" fill="{AXIS}" '
            f'font-size="10">{tick}%</text>'
        )
    for index, bar in enumerate(bars):
        y = top + index * row
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" fill="{TEXT}" '
            f'font-weight="bold">{escape(bar.label)}</text>'
        )
        if bar.pct is None:
            parts.append(
                f'<rect x="{left}" y="{y + 3}" width="{width}" height="{row - 6}" fill="none" '
                f'stroke="{MISSING}" stroke-dasharray="4 3"/>'
                f'<text x="{left + 8}" y="{y + 15}" fill="{MISSING}" font-weight="bold">'
                f"{escape(bar.missing or no_data)}</text>"
            )
        else:
            colour = GOOD if bar.pct >= threshold_pct else LOW
            bar_width = max(width * min(bar.pct, 100.0) / 100, 1.0)
            parts.append(
                f'<rect x="{left}" y="{y + 3}" width="{bar_width:.1f}" height="{row - 6}" '
                f'fill="{colour}"><title>{escape(bar.label)}: {escape(bar.note)}</title></rect>'
            )
        parts.append(
            f'<text x="{left + width + 8}" y="{y + 15}" fill="{TEXT}">{escape(bar.note)}</text>'
        )
    threshold_x = left + width * threshold_pct / 100
    bottom = top + row * len(bars)
    axis = _("%% of targeted bases at >= %(depth)sx (dashed: lab minimum %(minimum)s%%)") % {
        "depth": depth,
        "minimum": f"{threshold_pct:g}",
    }
    parts.append(
        f'<line x1="{threshold_x:.1f}" y1="{top - 6}" x2="{threshold_x:.1f}" y2="{bottom}" '
        f'stroke="{TEXT}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        f'<text x="{left + width / 2:.1f}" y="{bottom + 24}" text-anchor="middle" fill="{AXIS}" '
        f'font-size="11">{escape(axis)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class IdeogramSegment:
    """A run of homozygosity on the ideogram (1-based, inclusive)."""

    chrom: str
    start: int
    end: int


def roh_ideogram(
    contigs: Sequence[tuple[str, int]],
    segments: Sequence[IdeogramSegment],
    marks: Sequence[tuple[str, int]] = (),
) -> str:
    """Contigs as bars, runs of homozygosity highlighted, variants as ticks.

    Args:
        contigs: (name, length) in reference order.
        segments: Runs to highlight.
        marks: (contig, position) of homozygous variants inside a run.
    """
    row, top, left, width = 18, 8, 70, 560
    longest = max((length for _, length in contigs), default=1)
    height = top + row * len(contigs) + 24
    total = left + width + 20
    title = _("Runs of homozygosity along each contig")
    parts = [
        f'<svg width="{total}" height="{height}" '
        f'viewBox="0 0 {total} {height}" role="img" font-family="{FONT}" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]
    index_of = {name: index for index, (name, _) in enumerate(contigs)}
    for index, (name, length) in enumerate(contigs):
        y = top + index * row
        parts.append(
            f'<text x="{left - 8}" y="{y + 11}" text-anchor="end" fill="{TEXT}">'
            f"{escape(name)}</text>"
            f'<rect x="{left}" y="{y + 3}" width="{width * length / longest:.1f}" height="10" '
            f'fill="#eee" stroke="#999" stroke-width="0.5" rx="3"/>'
        )
    for segment in segments:
        if segment.chrom not in index_of:
            continue
        y = top + index_of[segment.chrom] * row
        x = left + width * (segment.start - 1) / longest
        w = max(width * (segment.end - segment.start + 1) / longest, 2.0)
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="12" fill="{LOW}">'
            f"<title>{escape(segment.chrom)}:{segment.start:,}-{segment.end:,}</title></rect>"
        )
    for chrom, pos in marks:
        if chrom not in index_of:
            continue
        y = top + index_of[chrom] * row
        x = left + width * (pos - 1) / longest
        parts.append(
            f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 16}" stroke="{MISSING}" '
            'stroke-width="2"/>'
        )
    parts.append(
        f'<text x="{left}" y="{height - 6}" fill="{AXIS}" font-size="10">'
        + escape(
            _("amber: run of homozygosity; red tick: homozygous tier 1-3 variant inside a run")
        )
        + "</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def kinship_heatmap(
    samples: Sequence[str],
    kinship: Mapping[frozenset[str], float | None],
    flagged: Collection[frozenset[str]] = (),
) -> str:
    """The batch's kinship matrix: darker is closer kin, each cell also written as a number.

    Args:
        samples: Row and column order.
        kinship: Per pair of samples, the estimate; None when not estimated (``n/e``, hatched).
        flagged: Pairs whose relatedness is not what the pedigree says (red frame).
    """
    cell, top = 46, 16
    left = max(70, 16 + round(7.6 * max((len(s) for s in samples), default=0)))
    size = cell * len(samples)
    height, total = (
        top + size + 40 + round(7.6 * max((len(s) for s in samples), default=0)),
        left + size + 20,
    )
    parts = [
        f'<svg width="{total}" height="{height}" viewBox="0 0 {total} {height}" role="img" '
        f'font-family="{FONT}" font-size="11">',
        "<title>Kinship between every pair of samples of the batch</title>",
        '<defs><pattern id="not-estimated" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f4f4f4"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{GRID}" stroke-width="2"/></pattern></defs>',
    ]
    for row, first in enumerate(samples):
        y = top + row * cell
        parts.append(
            f'<text x="{left - 6}" y="{y + cell / 2 + 4:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{escape(first)}</text>"
        )
        for column, second in enumerate(samples):
            x = left + column * cell
            if first == second:
                fill, label = "#555", "self"
                value_colour = "#fff"
            else:
                value = kinship.get(frozenset((first, second)))
                if value is None:
                    fill, label, value_colour = "url(#not-estimated)", "n/e", AXIS
                else:
                    # 0 (unrelated) white to 0.5 (same person) dark blue-grey.
                    shade = min(max(value, 0.0), 0.5) / 0.5
                    channel = round(255 - 200 * shade)
                    fill = f"rgb({channel},{channel + min(20, 255 - channel)},255)"
                    label = f"{value:.2f}"
                    value_colour = "#fff" if shade > 0.55 else TEXT
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" '
                f'stroke="#fff" stroke-width="1"><title>{escape(first)} / {escape(second)}: '
                f"{label}</title></rect>"
                f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="middle" '
                f'fill="{value_colour}">{label}</text>'
            )
            if first != second and frozenset((first, second)) in flagged:
                parts.append(
                    f'<rect x="{x + 2}" y="{y + 2}" width="{cell - 4}" height="{cell - 4}" '
                    f'fill="none" stroke="{MISSING}" stroke-width="3"/>'
                )
    for column, second in enumerate(samples):
        label_x, label_y = left + column * cell + cell / 2 - 4, top + size + 8
        parts.append(
            f'<text x="{label_x:.1f}" y="{label_y}" transform="rotate(90 {label_x:.1f} {label_y})" '
            f'fill="{TEXT}">'
            f"{escape(second)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
