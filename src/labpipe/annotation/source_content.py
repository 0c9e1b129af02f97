"""What a source VCF must hold (:class:`SourceCheck`), what checking it found
(:class:`SourceReport`), and the checks of its content: another build told by the header
or by records past a contig's end, REF bases that disagree with the reference, and the
file read to its end when it is small enough.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import TYPE_CHECKING

from labpipe.annotation.sources import damaged_message
from labpipe.core.alleles import is_sequence_allele

if TYPE_CHECKING:  # imported where used: a config without sources is checked without it
    import pysam

_SAMPLE_PER_CONTIG = 20  # records per contig whose REF is compared with the reference
_SAMPLE_TOTAL = 400
_MITOCHONDRION = frozenset({"M", "MT"})


@dataclass(frozen=True)
class SourceCheck:
    """One source VCF as named in the config, and what the config needs from it.

    Attributes:
        path: The VCF.
        role: For messages, e.g. ``ClinVar VCF``.
        key: The config key naming the file, e.g. ``annotation.clinvar``.
        fields: (config key, INFO field or ``AC/AN`` ratio) pairs the config names.
        required_info: INFO fields the file must declare (ClinVar's CLNSIG).
    """

    path: Path
    role: str
    key: str
    fields: tuple[tuple[str, str], ...] = ()
    required_info: tuple[str, ...] = ()


@dataclass
class SourceReport:
    """What checking one source found.

    Attributes:
        problems: Messages for the user; empty when the source can be used.
        notes: What was not checked (a file too large to read through), for a warning.
        records: Records read (all of them when ``read_whole``).
        read_whole: The file was read to its end.
        ref_checked: Records whose REF was compared with the reference.
        ref_agree: Of those, records whose REF agrees.
    """

    problems: list[str] = dataclass_field(default_factory=list)
    notes: list[str] = dataclass_field(default_factory=list)
    records: int = 0
    read_whole: bool = False
    ref_checked: int = 0
    ref_agree: int = 0


def build_problems(
    check: SourceCheck,
    header: pysam.VariantHeader,
    mapping: Mapping[str, str],
    contigs: Mapping[str, int],
    reference_build: str | None,
) -> list[str]:
    """Another build told by the header: ``##reference`` or ``##contig`` lengths."""
    from labpipe.core.genome_builds import build_label, describe_length

    where = f"'{check.key}': {check.path}"
    declared = next((r.value for r in header.records if r.key == "reference" and r.value), None)
    stated = build_label(declared)
    if stated and reference_build and stated != reference_build:
        return [
            f"{where} is for {stated} (its header says ##reference={declared}) but the"
            f" reference is {reference_build}: use the file's {reference_build} release"
        ]
    for ref_name, src_name in mapping.items():
        if ref_name.upper().removeprefix("CHR") in _MITOCHONDRION:
            continue  # rCRS (16,569 bp) and hg19's chrM (16,571 bp) differ within one build
        declared_length = header.contigs[src_name].length if src_name in header.contigs else None
        if declared_length is not None and declared_length != contigs[ref_name]:
            return [
                f"{where} is for another genome build: its ##contig header says"
                f" {describe_length(src_name, declared_length)}, the reference's"
                f" {describe_length(ref_name, contigs[ref_name])}; use the release of"
                " the file made for the reference's build"
            ]
    return []


def read_records(
    check: SourceCheck,
    vcf: pysam.VariantFile,
    mapping: Mapping[str, str],
    full_read_bytes: int,
    report: SourceReport,
) -> list[pysam.VariantRecord]:
    """Read the file to its end when it is not too large; the first records of each contig.

    Returns:
        Records whose REF is to be compared with the reference: the first
        :data:`_SAMPLE_PER_CONTIG` of each shared contig (by the index).
    """
    wanted = set(mapping.values())
    samples: list[pysam.VariantRecord] = []
    previous: pysam.VariantRecord | None = None
    try:
        if check.path.stat().st_size <= full_read_bytes:
            # Nothing but the count per record: this loop is the cost of reading ClinVar.
            count = 0
            for previous in vcf:  # noqa: B007 -- the last good record, for the message
                count += 1
            report.records, report.read_whole = count, True
        if vcf.index is not None:
            for contig in mapping.values():
                if len(samples) >= _SAMPLE_TOTAL:
                    break
                try:
                    for record in itertools.islice(vcf.fetch(contig), _SAMPLE_PER_CONTIG):
                        previous = record
                        samples.append(record)
                        report.records += 0 if report.read_whole else 1
                except ValueError:
                    continue  # in the header, no records
    except (OSError, ValueError) as exc:
        after = f"after {previous.chrom}:{previous.pos}" if previous is not None else ""
        report.problems.append(
            f"'{check.key}': "
            + damaged_message(check.path, check.role, exc, after or "before its first record")
        )
        return samples
    if not report.read_whole:
        report.notes.append(
            f"'{check.key}': {check.path} is larger than {full_read_bytes >> 20} MiB: its header,"
            " its end and the first records of each contig were checked, not every record"
        )
    if report.read_whole and not report.records:
        report.problems.append(
            f"'{check.key}': {check.path} holds no records (a header only): nothing would match;"
            " download the full file"
        )
    return [record for record in samples if record.chrom in wanted]


def beyond_end_problems(
    check: SourceCheck,
    vcf: pysam.VariantFile,
    mapping: Mapping[str, str],
    contigs: Mapping[str, int],
) -> list[str]:
    """Records past the end of a reference contig: the source is for another build."""
    for ref_name, src_name in mapping.items():
        try:
            record = next(iter(vcf.fetch(src_name, contigs[ref_name])), None)
        except (ValueError, OSError):
            continue
        if record is not None:
            return [
                f"'{check.key}': {check.path} has a record at {src_name}:{record.pos}, past the"
                f" end of the reference's {ref_name} ({contigs[ref_name]:,} bp): it is for"
                " another genome build; use the release made for the reference's build"
            ]
    return []


def ref_problems(
    check: SourceCheck,
    samples: list[pysam.VariantRecord],
    mapping: Mapping[str, str],
    fasta_path: Path,
    report: SourceReport,
) -> list[str]:
    """REF bases of sampled records against the reference (another build disagrees)."""
    reverse = {src: ref for ref, src in mapping.items()}
    import pysam

    try:
        fasta = pysam.FastaFile(str(fasta_path))
    except (OSError, ValueError):
        return []  # the reference's own checks report it
    disagree: list[str] = []
    with fasta:
        lengths = dict(zip(fasta.references, fasta.lengths, strict=True))
        for record in samples:
            chrom = reverse.get(record.chrom)
            if chrom is None or record.ref is None or not is_sequence_allele(record.ref):
                continue
            report.ref_checked += 1
            end = record.pos - 1 + len(record.ref)
            if end <= lengths.get(chrom, 0) and (
                fasta.fetch(chrom, record.pos - 1, end).upper() == record.ref.upper()
            ):
                report.ref_agree += 1
            else:
                disagree.append(f"{record.chrom}:{record.pos} {record.ref}")
    # A few disagreements are tolerable (IUPAC codes in the reference); most are not, and a
    # small file is judged too: three of three wrong by chance is unlikely (1 in 27 or less).
    if len(disagree) >= 3 and len(disagree) > 0.1 * report.ref_checked:
        return [
            f"'{check.key}': the REF of {len(disagree)} of {report.ref_checked} records checked"
            f" in {check.path} differs from the reference (e.g. {', '.join(disagree[:3])}): it is"
            " for another genome build or another reference; use the release made for the"
            " reference"
        ]
    return []
