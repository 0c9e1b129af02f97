"""What a source VCF must hold (:class:`SourceCheck`), what checking it found
(:class:`SourceReport`), and the checks of its content: another build told by the header
or by records past a contig's end, REF bases that disagree with the reference, and the
file read to its end when it is small enough.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

from labpipe.annotation.source_reading import (
    ReadFailure,
    ReadThrough,
    SourceRecord,
    first_record_in,
    first_records,
    read_through,
    reference_bases,
)
from labpipe.annotation.sources import damaged_message
from labpipe.annotation.vcf_header import VcfHeader
from labpipe.core.alleles import is_sequence_allele
from labpipe.core.i18n import N_, _, translate_written

_SAMPLE_PER_CONTIG = 20  # records per contig whose REF is compared with the reference
_SAMPLE_TOTAL = 400
_MITOCHONDRION = frozenset({"M", "MT"})

# Written in English into sources.json; the report shows it translated (source_note_in_words).
LARGE_SOURCE_NOTE = N_(
    "'%(key)s': %(path)s is larger than %(size)s MiB: its header, its end and the first"
    " records of each contig were checked, not every record"
)


def source_note_in_words(note: str) -> str:
    """A source's ``not_checked`` note of sources.json in the current language."""
    return translate_written(note, (LARGE_SOURCE_NOTE,), separator="\n")


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
    header: VcfHeader,
    mapping: Mapping[str, str],
    contigs: Mapping[str, int],
    reference_build: str | None,
) -> list[str]:
    """Another build told by the header: ``##reference`` or ``##contig`` lengths."""
    from labpipe.core.genome_builds import build_label, compared_lengths

    where = f"'{check.key}': {check.path}"
    declared = header.value("reference")
    stated = build_label(declared)
    if stated and reference_build and stated != reference_build:
        other = _(
            "%(where)s is for %(stated)s (its header says ##reference=%(declared)s) but the"
            " reference is %(build)s: use the file's %(build)s release"
        )
        values = {"stated": stated, "declared": declared, "build": reference_build}
        return [other % {"where": where, **values}]
    for ref_name, src_name in mapping.items():
        if ref_name.upper().removeprefix("CHR") in _MITOCHONDRION:
            continue  # rCRS (16,569 bp) and hg19's chrM (16,571 bp) differ within one build
        declared_length = header.contigs.get(src_name)
        if declared_length is not None and declared_length != contigs[ref_name]:
            other = _(
                "%(where)s is for another genome build: its ##contig header says %(theirs)s,"
                " the reference's %(ours)s; use the release of the file made for the"
                " reference's build"
            )
            lengths = compared_lengths((src_name, declared_length), (ref_name, contigs[ref_name]))
            return [other % {"where": where, **lengths}]
    return []


def read_records(
    check: SourceCheck,
    indexed: bool,
    mapping: Mapping[str, str],
    full_read_bytes: int,
    report: SourceReport,
) -> list[SourceRecord]:
    """Read the file to its end when it is not too large; the first records of each contig.

    Args:
        check: The source.
        indexed: The file has an index (the first records of each contig of a file too
            large to read through are found by it).
        mapping: Reference contig -> the source's name for it.
        full_read_bytes: Files up to this size are read to the end.
        report: Gets the records read, and the problems and notes.

    Returns:
        Records whose REF is to be compared with the reference: the first
        :data:`_SAMPLE_PER_CONTIG` of each shared contig, at most :data:`_SAMPLE_TOTAL`.

    Raises:
        ReadFailure: bcftools is not installed.
    """
    if check.path.stat().st_size <= full_read_bytes:
        read = read_through(check.path, _SAMPLE_PER_CONTIG)
        report.records, report.read_whole = read.records, read.failure is None
    elif indexed:
        read = first_records(check.path, mapping.values(), _SAMPLE_PER_CONTIG, _SAMPLE_TOTAL)
        report.records = read.records
    else:
        read = ReadThrough()
    if read.failure is not None:
        said = ReadFailure(read.failure)
        report.problems.append(
            f"'{check.key}': " + damaged_message(check.path, check.role, said, read.where)
        )
        return []
    if not report.read_whole:
        report.notes.append(
            LARGE_SOURCE_NOTE
            % {"key": check.key, "path": check.path, "size": full_read_bytes >> 20}
        )
    if report.read_whole and not report.records:
        report.problems.append(
            f"'{check.key}': {check.path} holds no records (a header only): nothing would match;"
            " download the full file"
        )
    samples: list[SourceRecord] = []
    for contig in mapping.values():
        if len(samples) >= _SAMPLE_TOTAL:
            break
        samples += read.first.get(contig, [])
    return samples


def beyond_end_problems(
    check: SourceCheck, mapping: Mapping[str, str], contigs: Mapping[str, int]
) -> list[str]:
    """Records past the end of a reference contig: the source is for another build."""
    past = {src_name: contigs[ref_name] + 1 for ref_name, src_name in mapping.items()}
    record = first_record_in(check.path, past)
    if record is None:
        return []
    ref_name = next(ref for ref, src in mapping.items() if src == record.chrom)
    return [
        f"'{check.key}': {check.path} has a record at {record.chrom}:{record.pos}, past the"
        f" end of the reference's {ref_name} ({contigs[ref_name]:,} bp): it is for"
        " another genome build; use the release made for the reference's build"
    ]


def ref_problems(
    check: SourceCheck,
    samples: list[SourceRecord],
    mapping: Mapping[str, str],
    fasta: Path,
    contigs: Mapping[str, int],
    report: SourceReport,
) -> list[str]:
    """REF bases of sampled records against the reference (another build disagrees)."""
    reverse = {src: ref for ref, src in mapping.items()}
    compared = [
        (record, reverse[record.chrom])
        for record in samples
        if record.chrom in reverse and is_sequence_allele(record.ref)
    ]
    inside = {
        index: (chrom, record.pos, record.pos - 1 + len(record.ref))
        for index, (record, chrom) in enumerate(compared)
        if record.pos - 1 + len(record.ref) <= contigs.get(chrom, 0)
    }
    bases = reference_bases(fasta, list(inside.values()))
    if bases is None:
        return []  # the reference's own checks report it
    found = dict(zip(inside, bases, strict=True))
    disagree: list[str] = []
    for index, (record, _chrom) in enumerate(compared):
        report.ref_checked += 1
        if found.get(index) == record.ref.upper():
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
