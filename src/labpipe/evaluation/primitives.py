"""Variants read as primitives, both VCFs in one representation, for ``labpipe evaluate``.

Both VCFs are brought to one representation before anything is compared, so that the
same change written two ways counts once:

1. ``bcftools norm -m -any -f REF -c e`` splits multi-allelic records (a ``1/2`` call
   becomes ``1/0`` and ``0/1`` records), left-aligns and trims indels, and stops on a REF
   allele that disagrees with the reference (a VCF made against another build).
2. ``bcftools norm -a --atom-overlaps . -f REF`` breaks each record into primitives: an
   MNP becomes its SNVs, a complex record its SNVs and indel, each left-aligned. It runs
   on the split records, so no multi-allelic record is atomized (where bcftools has lost
   zygosity before: bcftools issue 2239). A complex record whose gap could go in more
   than one place with as few mismatches (``TCGC>A``) is left whole: it then counts as
   one indel and matches only the same record. Each piece carries INFO/ATOMIZED_FROM, so
   records are still counted as they were before this step.
3. Primitives are keyed on (chrom, pos, ref, alt). A primitive's genotype is worked out
   haplotype by haplotype from the record(s) it came from, so a ``1/2`` split into two
   records gives ``0/1`` twice, and a primitive shared by both alleles gives ``1/1``.

Until this used ``bcftools norm -a``, labpipe decomposed records by hand; on the accuracy
sets (easy, hard, N-heavy, GIAB; labpipe and bare-caller calls) and on the demo's calls
the figures were the same both ways (benchmarks/README.md, "Evaluation with bcftools
norm -a").
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pysam

from labpipe.core.errors import InputFormatError, MissingToolError
from labpipe.core.tools import find_executable
from labpipe.evaluation.scores import Key, VariantRecord

#: INFO tag ``bcftools norm --atomize`` puts on each piece: the record it was cut from.
ATOMIZED_FROM = "ATOMIZED_FROM"
#: Per ploidy slot: True carries the allele, False does not, None is a missing call.
Carriers = tuple[bool | None, ...]


def _is_short_allele(alt: str) -> bool:
    return alt not in ("*", ".") and not alt.startswith("<") and "[" not in alt and "]" not in alt


def genotype_text(carriers: Carriers) -> str:
    """``0/1``-style text of per-slot carrier flags: sorted, ``.`` for missing slots."""
    alleles = sorted(carriers, key=lambda c: (c is None, bool(c)))
    return "/".join("." if c is None else "1" if c else "0" for c in alleles)


def _union(a: Carriers, b: Carriers) -> Carriers:
    """Slot-wise union of two records' carriers (a split ``1/2`` back to one genotype)."""
    if len(a) != len(b):
        return a
    return tuple(
        True if x or y else (None if x is None and y is None else False)
        for x, y in zip(a, b, strict=True)
    )


def normalise_vcf(vcf: Path, reference: Path, out_vcf: Path, what: str) -> None:
    """Split, normalise and atomize a VCF (plain or bgzipped) with ``bcftools norm``.

    ``-m -any -f REF -c e`` first, then ``-a --atom-overlaps .`` on its output (see the
    module's docstring).

    Args:
        vcf: Input VCF.
        reference: FASTA the VCF was made against (indexed, or in a writable folder).
        out_vcf: Where to write the normalised, uncompressed VCF.
        what: How to name the input in messages ("calls", "truth").

    Raises:
        MissingToolError: When bcftools is not on PATH.
        InputFormatError: When bcftools rejects the VCF, e.g. because a REF allele does not
            match the reference (a VCF made against another build).
    """
    bcftools = find_executable("bcftools")
    if bcftools is None:
        raise MissingToolError(
            "bcftools is needed to compare with a truth VCF and is not on PATH; "
            "run `make setup` (or see `labpipe doctor`)"
        )
    # VCF, not BCF: writing VCF is where bcftools refuses tags the header does not define.
    split = out_vcf.with_name(f"{out_vcf.name}.split.vcf")
    command = [
        bcftools, "norm", "--multiallelics", "-any", "--fasta-ref", str(reference),
        "--check-ref", "e", "--output-type", "v", "--output", str(split), str(vcf),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        said = [line for line in result.stderr.splitlines() if line.strip()][-3:]
        if not _header_has_contigs(vcf):
            raise InputFormatError(
                f"{vcf}: the {what} VCF has no ##contig lines in its header, so bcftools cannot"
                " write its records; add them from the reference's index into a NEW file"
                f" (the original stays as it is): `bcftools reheader --fai {reference}.fai"
                f" -o {_new_name(vcf)} {vcf}`, then use {_new_name(vcf)}",
                said,
            )
        absent = sorted(set(re.findall(r'The sequence "([^"]+)" was not found', result.stderr)))
        if absent:
            from labpipe.core.regions import contig_mismatch_problems
            from labpipe.inputs.checks.fasta import reference_contigs

            raise InputFormatError(
                f"{vcf}: the {what} VCF names contigs that {reference} does not have",
                contig_mismatch_problems(absent, list(reference_contigs(reference)), "its records")
                + said,
            )
        undefined = sorted(set(re.findall(r"(\w+ '\w+') at \S+ is not defined", result.stderr)))
        if undefined:
            raise InputFormatError(
                f"{vcf}: the {what} VCF uses tags its header does not define"
                f" ({', '.join(undefined)}); add their ##INFO/##FORMAT lines into a NEW file"
                f" (e.g. `bcftools annotate --header-lines LINES.txt -o {_new_name(vcf)} {vcf}`)",
                said,
            )
        raise InputFormatError(
            f"{vcf}: bcftools norm could not normalise the {what} VCF against {reference}; "
            "check that both use the same reference build",
            said,
        )
    atomize = [
        bcftools, "norm", "--atomize", "--atom-overlaps", ".", "--old-rec-tag", ATOMIZED_FROM,
        "--fasta-ref", str(reference), "--output-type", "v", "--output", str(out_vcf), str(split),
    ]  # fmt: skip
    result = subprocess.run(atomize, capture_output=True, text=True, check=False)
    split.unlink(missing_ok=True)
    if result.returncode != 0:
        raise InputFormatError(
            f"{vcf}: bcftools norm --atomize could not break the {what} VCF's records into"
            " SNVs and indels",
            [line for line in result.stderr.splitlines() if line.strip()][-3:],
        )


def _header_has_contigs(vcf: Path) -> bool:
    """True if the VCF's header declares its contigs (or cannot be read: not the cause then)."""
    try:
        with pysam.VariantFile(str(vcf)) as handle:
            return bool(list(handle.header.contigs))
    except (OSError, ValueError):
        return True


def _new_name(vcf: Path) -> Path:
    name = vcf.name
    for suffix in (".vcf.gz", ".vcf.bgz", ".vcf"):
        if name.endswith(suffix):
            return vcf.with_name(name[: -len(suffix)] + ".with-contigs" + suffix)
    return vcf.with_name(name + ".with-contigs.vcf")


def read_primitives(
    normalised_vcf: Path,
    sample: str,
    pass_only: bool,
) -> tuple[dict[Key, VariantRecord], int, int]:
    """The primitive variants ``sample`` carries in a normalised VCF.

    Args:
        normalised_vcf: Output of :func:`normalise_vcf` (split and atomized).
        sample: Sample column to read (known to exist).
        pass_only: Keep only records whose FILTER is PASS or ``.``.

    Returns:
        (primitives by key, records read, records skipped as not PASS); records are
        counted as split, before atomizing (the pieces of one record count once).
    """
    carriers: dict[Key, Carriers] = {}
    origin: dict[Key, tuple[float | None, str]] = {}
    records = not_pass = 0
    sources: set[tuple[str, str]] = set()
    # bcftools 1.16 declares INFO/MQ as Integer; newer htslib warns about it on every read.
    pysam.set_verbosity(0)
    with pysam.VariantFile(str(normalised_vcf)) as handle:
        tagged = ATOMIZED_FROM in handle.header.info
        for record in handle:
            source = record.info.get(ATOMIZED_FROM) if tagged else None
            first_piece = source is None or (record.chrom, str(source)) not in sources
            if source is not None:
                sources.add((record.chrom, str(source)))
            records += first_piece
            filters = [str(name) for name in record.filter]
            if pass_only and any(name != "PASS" for name in filters):
                not_pass += first_piece
                continue
            genotype = tuple(record.samples[sample].get("GT") or ())
            alts = record.alts or ()
            present = sorted({a for a in genotype if a})
            ref = (record.ref or "").upper()
            for allele in present:
                alt = (alts[allele - 1] if allele <= len(alts) else ".").upper()
                if not _is_short_allele(alt) or alt == ref:
                    continue
                slots: Carriers = tuple(None if a is None else a == allele for a in genotype)
                key = (record.chrom, record.pos, ref, alt)
                carriers[key] = _union(carriers[key], slots) if key in carriers else slots
                origin.setdefault(key, (record.qual, ";".join(filters) or "."))
    variants = {
        key: VariantRecord(*key, genotype_text(slots), *origin[key])
        for key, slots in carriers.items()
    }
    return variants, records, not_pass
