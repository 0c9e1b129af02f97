"""The records of the demo's synthetic annotation sources and how they are written:
a ClinVar-style and a gnomAD-style VCF, bgzipped and indexed, the same bytes every run.
:mod:`labpipe.simulation.demo_annotation` chooses what goes in them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pysam

from labpipe.annotation.source_fields import is_pathogenic


@dataclass(frozen=True)
class Planted:
    """A planted variant with what the demo annotation needs to know about it."""

    chrom: str
    pos: int
    ref: str
    alt: str
    consequence: str
    tract: str
    gene: str
    genotypes: tuple[str, ...]

    @property
    def key(self) -> tuple[str, int, str, str]:
        """(chrom, pos, ref, alt)."""
        return (self.chrom, self.pos, self.ref, self.alt)

    @property
    def carriers(self) -> int:
        """Samples carrying the ALT."""
        return sum(1 for gt in self.genotypes if "1" in gt)

    @property
    def homozygous(self) -> bool:
        """Some sample is homozygous for the ALT."""
        return any(gt in ("1/1", "1|1") for gt in self.genotypes)


@dataclass(frozen=True)
class ClinVarEntry:
    """One record of the demo ClinVar VCF.

    Attributes:
        planted: The planted variant it describes (for a decoy, the one it sits on).
        pos, ref, alt: The record as written (possibly un-normalised).
        fields: CLNSIG, CLNREVSTAT, CLNDN, GENEINFO.
        same_allele: False for the decoy: another ALT at the planted variant's position.
    """

    planted: Planted
    pos: int
    ref: str
    alt: str
    fields: dict[str, str]
    same_allele: bool = True

    @property
    def pathogenic(self) -> bool:
        """A P/LP record of the planted allele: the call must be tier 1."""
        return self.same_allele and is_pathogenic(self.fields["CLNSIG"])


def _bgzip_and_index(plain: Path, out: Path) -> None:
    compressed = pysam.tabix_index(str(plain), preset="vcf", force=True)
    os.replace(compressed, out)
    os.replace(compressed + ".tbi", f"{out}.tbi")


def _chrom_order(lengths: dict[str, int]) -> dict[str, int]:
    return {name: index for index, name in enumerate(lengths)}


def write_clinvar(out: Path, records: list[ClinVarEntry], lengths: dict[str, int]) -> None:
    """Write the ClinVar-style VCF (bgzipped, indexed), contigs named without ``chr``."""
    order = _chrom_order(lengths)
    rows = []
    for number, entry in enumerate(records, start=1):
        # ClinVar names contigs without 'chr', unlike the demo reference.
        chrom = entry.planted.chrom.removeprefix("chr")
        rows.append(
            (
                order[entry.planted.chrom],
                entry.pos,
                chrom,
                entry.ref,
                entry.alt,
                number,
                entry.fields,
            )
        )
    rows.sort(key=lambda r: (r[0], r[1], r[4]))
    lines = [
        "##fileformat=VCFv4.1",
        "##fileDate=2026-01-01",
        "##source=labpipe demo: synthetic ClinVar-style records (not real ClinVar data)",
        "##reference=labpipe synthetic demo reference",
        *(f"##contig=<ID={c.removeprefix('chr')},length={n}>" for c, n in lengths.items()),
        '##INFO=<ID=ALLELEID,Number=1,Type=Integer,Description="the ClinVar Allele ID">',
        "##INFO=<ID=CLNDN,Number=.,Type=String,Description=\"ClinVar's preferred disease name "
        'for the concept specified by disease identifiers in CLNDISDB">',
        '##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="ClinVar review status of '
        'germline classification for the Variation ID">',
        '##INFO=<ID=CLNSIG,Number=.,Type=String,Description="Aggregate germline '
        'classification for this single variant">',
        '##INFO=<ID=GENEINFO,Number=1,Type=String,Description="Gene(s) for the variant '
        'reported as gene symbol:gene id">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    for _, pos, chrom, ref, alt, number, fields in rows:
        info = ";".join(
            [f"ALLELEID={1900000 + number}", *(f"{k}={fields[k]}" for k in sorted(fields))]
        )
        lines.append(f"{chrom}\t{pos}\t{900000 + number}\t{ref}\t{alt}\t.\t.\t{info}")
    plain = out.with_name(out.name.removesuffix(".gz"))
    plain.write_text("\n".join(lines) + "\n")
    _bgzip_and_index(plain, out)


def write_population(
    out: Path,
    records: list[tuple[str, int, str, list[str], dict[str, list[str]]]],
    lengths: dict[str, int],
) -> None:
    """Write the gnomAD-style AF VCF (bgzipped, indexed): (chrom, pos, ref, alts, {field:
    values}) per record."""
    order = _chrom_order(lengths)
    lines = [
        "##fileformat=VCFv4.2",
        "##source=labpipe demo: synthetic gnomAD-style allele frequencies (not real data)",
        *(f"##contig=<ID={c},length={n}>" for c, n in lengths.items()),
        '##INFO=<ID=AF,Number=A,Type=Float,Description="Alternate allele frequency">',
        '##INFO=<ID=AF_sas,Number=A,Type=Float,Description="Alternate allele frequency in '
        'samples of South Asian ancestry">',
        '##INFO=<ID=AF_nfe,Number=A,Type=Float,Description="Alternate allele frequency in '
        'samples of non-Finnish European ancestry">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    for chrom, pos, ref, alts, fields in sorted(records, key=lambda r: (order[r[0]], r[1])):
        info = ";".join(
            f"{k}={','.join(values)}" for k, values in fields.items() if set(values) != {"."}
        )
        lines.append(f"{chrom}\t{pos}\t.\t{ref}\t{','.join(alts)}\t.\tPASS\t{info}")
    plain = out.with_name(out.name.removesuffix(".gz"))
    plain.write_text("\n".join(lines) + "\n")
    _bgzip_and_index(plain, out)
