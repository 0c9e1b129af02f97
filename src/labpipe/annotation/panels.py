"""Gene panels: which genes a test looks at, per sample.

A lab names one or more panels in ``annotation.panels``, each a gene list
(one symbol per line, ``#`` comments) or a BED of regions. A BED panel's
genes are those whose transcripts overlap its regions (or, without a GFF3,
the names in its fourth column). A panel applies to the samples it lists,
or to every sample when it lists none.

A panel gene that the GFF3 does not know is kept and reported: a typo in a
panel must show up in the report, not quietly drop a gene from the test.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labpipe.annotation.transcripts import TranscriptModel
from labpipe.config.lab import PanelConfig
from labpipe.core.errors import ConfigError, InputFormatError


@dataclass(frozen=True)
class PanelSpec:
    """A panel as the config names it.

    Attributes:
        name: Display name, e.g. ``Thalassaemia v2``.
        file: Gene list or BED.
        samples: Samples it applies to; empty means every sample.
    """

    name: str
    file: Path
    samples: tuple[str, ...] = ()

    def applies_to(self, sample: str) -> bool:
        """True when the panel is part of this sample's test."""
        return not self.samples or sample in self.samples


@dataclass(frozen=True)
class Panel:
    """A loaded panel.

    Attributes:
        name: Display name.
        file: Where it was read from.
        genes: Gene symbols, as the GFF3 (csq) spells them where known.
        unknown_genes: Listed genes the GFF3 does not have (empty without a GFF3).
    """

    name: str
    file: Path
    genes: frozenset[str]
    unknown_genes: tuple[str, ...] = ()


def panel_specs(panels: Sequence[PanelConfig]) -> tuple[PanelSpec, ...]:
    """The panels of a config's ``annotation.panels`` (paths already resolved)."""
    return tuple(PanelSpec(name=p.name, file=p.file, samples=p.samples) for p in panels)


def panel_problems(specs: Sequence[PanelSpec], samples: Iterable[str]) -> list[str]:
    """Config problems: an unknown sample, a missing file, a panel name used twice."""
    known = set(samples)
    problems = []
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        where = f"'annotation.panels[{index}]'"
        if spec.name in seen:
            problems.append(f"{where}: panel name '{spec.name}' is used twice")
        seen.add(spec.name)
        for sample in spec.samples:
            if sample not in known:
                problems.append(
                    f"{where}: sample '{sample}' is not in the sample sheet "
                    f"(samples: {', '.join(sorted(known))})"
                )
        if not spec.file.is_file():
            problems.append(f"{where}: panel file {spec.file} does not exist")
    return problems


def check_panels(specs: Sequence[PanelSpec], samples: Iterable[str]) -> None:
    """Raise every panel problem at once.

    Raises:
        ConfigError: Listing the problems of :func:`panel_problems`.
    """
    problems = panel_problems(specs, samples)
    if problems:
        raise ConfigError("the gene panels in the config cannot be used", problems)


def _lines(path: Path) -> list[str]:
    try:
        with open(path, "rb") as probe:
            compressed = probe.read(2) == b"\x1f\x8b"
        opener: Any = gzip.open if compressed else open
        with opener(path, "rt", encoding="utf-8-sig") as handle:  # Windows editors' BOM
            return [line.rstrip("\r\n") for line in handle]
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputFormatError(f"{path}: cannot read the gene panel: {exc}") from exc


def _is_bed(path: Path, lines: list[str]) -> bool:
    if path.name.endswith((".bed", ".bed.gz")):
        return True
    for line in lines:
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        fields = line.split("\t")
        return len(fields) >= 3 and fields[1].isdigit() and fields[2].isdigit()
    return False


def _same_contig(a: str, b: str) -> bool:
    return a.removeprefix("chr") == b.removeprefix("chr")


def load_panel(spec: PanelSpec, transcripts: Mapping[str, TranscriptModel] | None) -> Panel:
    """Read one panel and resolve its genes against the GFF3's.

    Args:
        spec: The panel.
        transcripts: The GFF3's transcript models, or None without a GFF3.

    Returns:
        The panel; listed genes the GFF3 lacks are in ``unknown_genes``.

    Raises:
        InputFormatError: The file cannot be read, a BED line is malformed, or
            the panel holds no gene.
    """
    lines = _lines(spec.file)
    known = {m.gene_name for m in transcripts.values()} if transcripts is not None else None
    if _is_bed(spec.file, lines):
        genes = _bed_genes(spec.file, lines, transcripts)
    else:
        genes = {
            line.split()[0] for line in lines if line.strip() and not line.lstrip().startswith("#")
        }
    if not genes:
        raise InputFormatError(
            f"{spec.file}: the panel '{spec.name}' lists no gene; write one gene symbol a line "
            "or give a BED of the panel's regions"
        )
    unknown = tuple(sorted(g for g in genes if known is not None and g not in known))
    return Panel(spec.name, spec.file, frozenset(genes), unknown)


def _bed_genes(
    path: Path, lines: list[str], transcripts: Mapping[str, TranscriptModel] | None
) -> set[str]:
    regions: list[tuple[str, int, int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        fields = line.split("\t")
        try:
            start, end = int(fields[1]), int(fields[2])
        except (IndexError, ValueError):
            raise InputFormatError(
                f"{path} line {number}: expected 'contig<TAB>start<TAB>end', got {line!r}"
            ) from None
        regions.append((fields[0], start, end, fields[3] if len(fields) > 3 else ""))
    if transcripts is None:
        return {name for *_, name in regions if name}
    genes = set()
    for model in transcripts.values():
        for chrom, start, end, _ in regions:
            # BED is 0-based half-open; the model 1-based inclusive.
            if _same_contig(chrom, model.chrom) and start < model.end and model.start <= end:
                genes.add(model.gene_name)
                break
    return genes


def sample_panel_genes(
    panels: Sequence[Panel], specs: Sequence[PanelSpec], sample: str
) -> dict[str, frozenset[str]]:
    """Panel name -> genes, for the panels that apply to one sample."""
    applies = {spec.name for spec in specs if spec.applies_to(sample)}
    return {panel.name: panel.genes for panel in panels if panel.name in applies}
