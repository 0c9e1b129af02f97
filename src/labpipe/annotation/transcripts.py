"""Transcript models read from an Ensembl-style GFF3.

The variant table needs, per transcript, what ``bcftools csq`` used to call
consequences (exons, CDS segments, strand, biotype) plus what csq ignores but a
lab report needs: the gene's display name and the tags (``Ensembl_canonical``,
``MANE_Select``) that decide which transcript a variant is reported on.

A transcript is any feature that has ``exon`` or ``CDS`` children, whatever
its type (``mRNA``, ``transcript``, ``lnc_RNA``, ``NMD_transcript_variant``...);
its gene is its ``Parent``. Ensembl writes children before parents within a
locus, so the file is read whole before anything is linked. Coordinates are
1-based and inclusive, as in the file.

The file's lines are read by :mod:`labpipe.annotation.gff3_features`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from labpipe.annotation.gff3_features import GffFeature, GffProblems, read_features

# Tags that mark the transcript a lab reports on, best first. MANE Select is the
# RefSeq/Ensembl agreed transcript; Ensembl_canonical is Ensembl's pick for every
# gene (equal to MANE Select where one exists).
CANONICAL_TAGS: tuple[str, ...] = ("MANE_Select", "Ensembl_canonical")

_STRUCTURE_TYPES = frozenset({"exon", "CDS", "five_prime_UTR", "three_prime_UTR"})


@dataclass(frozen=True, slots=True)
class Exon:
    """One exon, genomic coordinates (1-based, inclusive)."""

    start: int
    end: int

    @property
    def length(self) -> int:
        """Number of bases."""
        return self.end - self.start + 1


@dataclass(frozen=True, slots=True)
class CdsSegment:
    """The coding part of one exon.

    Attributes:
        start: Genomic start (1-based, inclusive).
        end: Genomic end (inclusive).
        phase: GFF3 phase: bases to skip at the segment's 5' end (in transcript
            orientation) to reach the first whole codon.
    """

    start: int
    end: int
    phase: int

    @property
    def length(self) -> int:
        """Number of bases."""
        return self.end - self.start + 1


@dataclass(frozen=True)
class TranscriptModel:
    """One transcript with its exon/CDS structure.

    Attributes:
        transcript_id: ID without the ``transcript:`` prefix, as ``bcftools csq`` prints it.
        gene_id: The gene's ID without the ``gene:`` prefix (empty when the
            transcript has no gene parent).
        gene_name: The gene's ``Name`` (the symbol csq prints), else its ID.
        chrom: Sequence name as written in the GFF3.
        start: Lowest genomic coordinate of the transcript feature.
        end: Highest genomic coordinate.
        strand: ``+`` or ``-``.
        biotype: ``biotype`` attribute (Ensembl), else ``transcript_type``
            (GENCODE), else the feature type.
        tags: Values of the ``tag`` attribute.
        exons: Exons in ascending genomic order.
        cds: CDS segments in ascending genomic order; empty for non-coding transcripts.
        name: The transcript's ``Name`` (``BRCA1-203``), or empty.
        version: The transcript's ``version`` attribute (Ensembl), or empty.
        refseq: The matching RefSeq transcript (MANE GFF3s' ``Dbxref=RefSeq:NM_…``), or empty.
    """

    transcript_id: str
    gene_id: str
    gene_name: str
    chrom: str
    start: int
    end: int
    strand: str
    biotype: str
    tags: frozenset[str]
    exons: tuple[Exon, ...]
    cds: tuple[CdsSegment, ...] = ()
    name: str = ""
    version: str = ""
    refseq: str = ""

    @property
    def versioned_id(self) -> str:
        """``ENST00000335295.4``: the ID with its version, as HGVS names a reference."""
        if not self.version or self.transcript_id.endswith(f".{self.version}"):
            return self.transcript_id
        return f"{self.transcript_id}.{self.version}"

    @property
    def is_coding(self) -> bool:
        """True when the transcript has CDS segments."""
        return bool(self.cds)

    @property
    def cds_length(self) -> int:
        """Total CDS bases (stop codon included, as Ensembl GFF3 writes it)."""
        return sum(segment.length for segment in self.cds)

    @property
    def length(self) -> int:
        """Spliced transcript length."""
        return sum(exon.length for exon in self.exons)

    @property
    def cds_start(self) -> int:
        """Lowest genomic coordinate of the CDS (not the start codon on the minus strand)."""
        if not self.cds:
            raise ValueError(f"transcript {self.transcript_id} is non-coding")
        return self.cds[0].start

    @property
    def cds_end(self) -> int:
        """Highest genomic coordinate of the CDS."""
        if not self.cds:
            raise ValueError(f"transcript {self.transcript_id} is non-coding")
        return self.cds[-1].end

    @property
    def canonical_rank(self) -> int:
        """0 for MANE Select, 1 for Ensembl canonical, 2 for any other transcript."""
        for rank, tag in enumerate(CANONICAL_TAGS):
            if tag in self.tags:
                return rank
        return len(CANONICAL_TAGS)

    def exons_5_to_3(self) -> tuple[Exon, ...]:
        """Exons in transcript order (descending genomic order on the minus strand)."""
        return self.exons if self.strand == "+" else self.exons[::-1]

    def cds_5_to_3(self) -> tuple[CdsSegment, ...]:
        """CDS segments in transcript order."""
        return self.cds if self.strand == "+" else self.cds[::-1]

    def contains(self, pos: int) -> bool:
        """True when ``pos`` lies between the transcript's first and last base."""
        return self.start <= pos <= self.end


def load_transcripts(path: Path) -> dict[str, TranscriptModel]:
    """Read every transcript of a GFF3 (plain or gzip/bgzip-compressed).

    Args:
        path: The GFF3 file.

    Returns:
        Transcript models keyed by transcript ID (``transcript:`` prefix removed).

    Raises:
        InputFormatError: The file cannot be read or has problems, each listed
            with its line: wrong column count, bad coordinates, strand or CDS
            phase, an attribute without ``=``, an ID reused by another kind of
            feature, a transcript without strand, a child on another sequence
            or strand than its transcript, a CDS outside the transcript's exons.
    """
    problems = GffProblems()
    by_id: dict[str, GffFeature] = {}
    structure: list[GffFeature] = []
    for feature in read_features(path, problems):
        if feature.type in _STRUCTURE_TYPES:
            # CDS lines of one protein legitimately share an ID, and exon-level
            # lines are never parents; every other ID must be unique to link safely.
            structure.append(feature)
            continue
        for feature_id in feature.attributes.get("ID", ()):
            first = by_id.get(feature_id)
            if first is None:
                by_id[feature_id] = feature
            elif first.type == feature.type and first.chrom == feature.chrom:
                # GFF3 writes one discontinuous feature as several lines sharing an ID.
                first.start, first.end = (
                    min(first.start, feature.start),
                    max(first.end, feature.end),
                )
            else:
                problems.add(
                    feature.line,
                    f"ID '{feature_id}' is already used on line {first.line} by a "
                    f"{first.type} on {first.chrom}",
                )
    problems.raise_if_any(path)
    for feature in structure:
        for parent_id in feature.attributes.get("Parent", ()):
            parent = by_id.get(parent_id)
            # A child whose parent is absent belongs to a feature cut out of a
            # subset file; bcftools csq skips it too.
            if parent is not None:
                parent.children.append(feature)

    transcripts: dict[str, TranscriptModel] = {}
    for feature_id, feature in by_id.items():
        if not any(c.type in ("exon", "CDS") for c in feature.children):
            continue
        model = _build_transcript(feature_id, feature, by_id, problems)
        if model is None:
            continue
        if model.transcript_id in transcripts:
            problems.add(feature.line, f"transcript '{model.transcript_id}' is defined twice")
        transcripts[model.transcript_id] = model
    problems.raise_if_any(path)
    return transcripts


def transcripts_by_gene(
    transcripts: dict[str, TranscriptModel],
) -> dict[str, list[TranscriptModel]]:
    """Group transcripts by gene name (the symbol ``bcftools csq`` prints).

    Args:
        transcripts: As returned by :func:`load_transcripts`.

    Returns:
        Gene name to its transcripts, in file order.
    """
    genes: dict[str, list[TranscriptModel]] = {}
    for model in transcripts.values():
        genes.setdefault(model.gene_name, []).append(model)
    return genes


def _strip_prefix(identifier: str, prefix: str) -> str:
    return identifier[len(prefix) :] if identifier.startswith(prefix) else identifier


def _build_transcript(
    feature_id: str, feature: GffFeature, by_id: dict[str, GffFeature], problems: GffProblems
) -> TranscriptModel | None:
    """Link one transcript feature with its gene and children; None if they disagree."""
    ok = True
    if feature.strand not in ("+", "-"):
        problems.add(
            feature.line,
            f"transcript '{feature_id}' has strand '{feature.strand}'; it needs '+' or '-'",
        )
        ok = False
    for child in feature.children:
        if child.chrom != feature.chrom or child.strand != feature.strand:
            problems.add(
                child.line,
                f"{child.type} on {child.chrom} strand {child.strand}, but its transcript "
                f"'{feature_id}' (line {feature.line}) is on {feature.chrom} "
                f"strand {feature.strand}",
            )
            ok = False
    exons = sorted({(c.start, c.end) for c in feature.children if c.type == "exon"})
    cds_lines = sorted(
        (c for c in feature.children if c.type == "CDS"), key=lambda c: (c.start, c.end)
    )
    if not exons:
        # Some GFF3 writers give only CDS and UTR lines; their union is the exons.
        exons = _merge_touching((c.start, c.end) for c in feature.children if c.type != "exon")
    for cds in cds_lines:
        if not any(start <= cds.start and cds.end <= end for start, end in exons):
            problems.add(
                cds.line,
                f"CDS {cds.start}-{cds.end} of transcript '{feature_id}' lies outside its exons",
            )
            ok = False
    if not ok:
        return None
    gene = next((by_id[p] for p in feature.attributes.get("Parent", ()) if p in by_id), None)
    gene_id = _strip_prefix(gene.first("gene_id") or gene.first("ID"), "gene:") if gene else ""
    gene_name = (gene.first("Name") if gene else "") or gene_id
    biotype = feature.first("biotype") or feature.first("transcript_type") or feature.type
    return TranscriptModel(
        transcript_id=_strip_prefix(feature_id, "transcript:"),
        gene_id=gene_id,
        gene_name=gene_name,
        chrom=feature.chrom,
        start=min(feature.start, exons[0][0]),
        end=max(feature.end, exons[-1][1]),
        strand=feature.strand,
        biotype=biotype,
        tags=frozenset(feature.attributes.get("tag", ())),
        exons=tuple(Exon(s, e) for s, e in exons),
        cds=tuple(CdsSegment(c.start, c.end, c.phase or 0) for c in cds_lines),
        name=feature.first("Name"),
        version=feature.first("version"),
        refseq=next(
            (
                x.removeprefix("RefSeq:")
                for x in feature.attributes.get("Dbxref", ())
                if x.startswith("RefSeq:N")
            ),
            "",
        ),
    )


def _merge_touching(intervals: Iterator[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
