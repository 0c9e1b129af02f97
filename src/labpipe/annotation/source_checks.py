"""Annotation sources checked before a run (``labpipe validate``), all problems at once.

Each source VCF must exist, be bgzip-compressed and indexed, declare the INFO fields the
config names, share contigs with the reference and agree with its bases (the same
build); a file up to :data:`FULL_READ_BYTES` is read to its end, so damage anywhere is
caught before hours of alignment.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from labpipe.annotation.source_content import (
    SourceCheck,
    SourceReport,
    beyond_end_problems,
    build_problems,
    read_records,
    ref_problems,
)
from labpipe.annotation.source_reading import NotVcf, ReadFailure, read_header
from labpipe.annotation.sources import (
    PopulationSource,
    examples,
    field_problem,
    index_problems,
    map_contigs,
    recompress_advice,
)
from labpipe.annotation.vcf_header import VcfHeader
from labpipe.core.errors import ConfigError

FULL_READ_BYTES = 1 << 30
"""Source VCFs up to this size are read to the end by ``labpipe validate``.

Every record is parsed (by htslib, in ``bcftools query``) and every BGZF block
decompressed and its CRC checked, so a file damaged or cut anywhere is caught before
hours of alignment. Measured on a ClinVar-like file of 3.5 million records (158 MB
bgzip, ClinVar's INFO fields; ``benchmarks/source_check.py``): 2.0 s of CPU, bcftools
and Python together (3.7 s when pysam read it); a file 8 times that size takes about
a quarter of a minute. A larger file (a whole gnomAD chromosome) gets its header, its
BGZF end and the first records of each contig read instead.
"""


def source_checks(
    clinvar: Path | None, population: Sequence[PopulationSource]
) -> list[SourceCheck]:
    """The checks for a config's ClinVar and population sources, in config order."""
    checks = []
    if clinvar is not None:
        checks.append(SourceCheck(clinvar, "ClinVar VCF", "annotation.clinvar", (), ("CLNSIG",)))
    for index, source in enumerate(population):
        fields = tuple(
            (f"annotation.population_af[{index}].{column.kind}_field", column.field)
            for column in source.af_columns
        )
        key = f"annotation.population_af[{index}].vcf"
        checks.append(SourceCheck(source.vcf, f"population AF VCF '{source.id}'", key, fields))
    return checks


def check_source(
    check: SourceCheck,
    contigs: Mapping[str, int],
    fasta: Path | None,
    reference_build: str | None,
    *,
    full_read_bytes: int = FULL_READ_BYTES,
) -> SourceReport:
    """Open one source VCF as the annotation step will, and read it through (with bcftools).

    Checked, every problem listed: the file is BGZF (with the command making a
    compressed copy when not) and not cut short; its index exists and is not
    older than the file; the INFO fields the config names exist (with the
    nearest ones when not); its contigs are the reference's (allowing ``1`` for
    ``chr1``); its build is the reference's, judged from ``##reference``, from
    ``##contig`` lengths and from the records' REF bases and positions; and
    every record parses (up to ``full_read_bytes``; beyond, the first records
    of each contig).

    Args:
        check: The source and what the config needs from it.
        contigs: The reference's contig lengths.
        fasta: The reference FASTA when it is indexed (REF bases are compared), else None.
        reference_build: The reference's build (see :mod:`labpipe.core.genome_builds`), or None.
        full_read_bytes: Files up to this size are read to the end.
    """
    from labpipe.inputs.checks.files import compression_of
    from labpipe.inputs.checks.gzip_tail import bgzf_end_problem

    report = SourceReport()
    path, key = check.path, check.key
    where = f"'{key}': {path}"
    try:
        size = path.stat().st_size
        kind = compression_of(path) if path.is_file() else "folder"
    except FileNotFoundError:
        report.problems.append(f"{where} does not exist")
        return report
    except OSError as exc:
        report.problems.append(f"{where} cannot be read ({exc.strerror})")
        return report
    if kind == "folder":
        report.problems.append(f"{where} is a folder, not a VCF file")
        return report
    if size == 0:
        report.problems.append(f"{where}: the file is empty (0 bytes); download it again")
        return report
    if kind != "bgzf":
        report.problems.append(f"{where}: {recompress_advice(path, kind, key)}")
        return report
    end = bgzf_end_problem(path)
    if end is not None:
        # htslib will not open it either: nothing more can be said about it.
        report.problems.append(f"{where}: {end}")
        return report
    report.problems += index_problems(path, key)
    try:
        _check_readable_source(check, contigs, fasta, reference_build, full_read_bytes, report)
    except ReadFailure as exc:  # bcftools or samtools missing: nothing is read
        report.problems.append(f"{where}: cannot be checked: {exc}")
    return report


def _check_readable_source(
    check: SourceCheck,
    contigs: Mapping[str, int],
    fasta: Path | None,
    reference_build: str | None,
    full_read_bytes: int,
    report: SourceReport,
) -> None:
    where = f"'{check.key}': {check.path}"
    try:
        header = read_header(check.path)
    except NotVcf as exc:
        if exc.bad_header:
            why = "its header is not valid VCF (a malformed ## line, or an empty sample name?)"
        else:
            why = "the data is not VCF or BCF (nothing in it, or another format?)"
        report.problems.append(f"{where}: not a readable VCF: {why}; download it again")
        return
    report.problems += _header_problems(check, header)
    indexed = any(Path(f"{check.path}{suffix}").is_file() for suffix in (".tbi", ".csi"))
    source_contigs = list(header.contigs)  # with those of the index (htslib adds them)
    mapping = map_contigs(list(contigs), source_contigs)
    if not mapping:
        report.problems.append(_no_shared_contig(check, source_contigs, list(contigs)))
        return
    report.problems += build_problems(check, header, mapping, contigs, reference_build)
    samples = read_records(check, indexed, mapping, full_read_bytes, report)
    damaged = any("cannot be read to the end" in p for p in report.problems)
    if indexed and not damaged:
        report.problems += beyond_end_problems(check, mapping, contigs)
    if fasta is not None and samples:
        report.problems += ref_problems(check, samples, mapping, fasta, contigs, report)


def _header_problems(check: SourceCheck, header: VcfHeader) -> list[str]:
    problems = []
    for name in check.required_info:
        if name not in header.info:
            problems.append(
                f"'{check.key}': {check.path} has no INFO/{name} in its header; is this ClinVar's"
                " VCF (clinvar.vcf.gz from the ClinVar FTP site's vcf_GRCh38 or vcf_GRCh37"
                " folder)?"
            )
    for key, configured in check.fields:
        try:
            field_problem(header, configured, key, check.path)
        except ConfigError as exc:
            problems.append(str(exc))
    return problems


def _no_shared_contig(check: SourceCheck, source: list[str], reference: list[str]) -> str:
    rename = shlex.quote(str(check.path))
    from labpipe.inputs.checks.files import new_file_name

    copy = shlex.quote(str(new_file_name(check.path, "renamed", ".vcf.gz")))
    return (
        f"'{check.key}': none of the contigs of {check.path} ({examples(source)}) is a contig"
        f" of the reference ({examples(reference)}), even allowing for a 'chr' prefix: check"
        " that both are for the same genome; if they are but name contigs differently, write"
        " a file names.txt of lines '<its name> <reference name>' and make a renamed copy"
        f" with `bcftools annotate --rename-chrs names.txt -Oz -o {copy} {rename} && tabix -p"
        f" vcf {copy}`, then set {check.key} to it"
    )
