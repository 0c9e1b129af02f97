"""Which human genome build a file is for, told from contig lengths and labels.

A source made for another build (ClinVar for GRCh37 on a GRCh38 reference)
matches nothing, or matches wrong alleles, without any error from the tools.
The length of chromosome 1 (or 2, or X) tells the builds apart; a label such as
``hg19`` or ``b37`` is read as the build it names. Anything else (a synthetic
or non-human reference) is "unknown" and is not judged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from labpipe.core.i18n import _

# Lengths of chromosomes 1, 2 and X in each assembly (NCBI/GRC assembly reports).
_LENGTHS: dict[str, dict[str, int]] = {
    "GRCh37": {"1": 249_250_621, "2": 243_199_373, "X": 155_270_560},
    "GRCh38": {"1": 248_956_422, "2": 242_193_529, "X": 156_040_895},
    "T2T-CHM13": {"1": 248_387_328, "2": 242_696_752, "X": 154_259_566},
}
_BY_LENGTH = {
    (chrom, length): build for build, c in _LENGTHS.items() for chrom, length in c.items()
}

# Labels labs and files use for each build (lower case, no separators).
_LABELS = {
    "GRCh37": ("grch37", "hg19", "b37", "hs37d5", "37", "hs37", "humang1kv37"),
    "GRCh38": ("grch38", "hg38", "b38", "38", "hs38", "hs38dh"),
    "T2T-CHM13": ("t2tchm13", "chm13", "t2t", "hs1"),
}


def build_label(label: str | None) -> str | None:
    """The build a label names (``hg19`` -> ``GRCh37``), None when it names no known one.

    ``GRCh38.p14``, ``hg38_analysis_set`` and a path such as
    ``file:///data/human_g1k_v37.fasta`` (ClinVar's ``##reference``) are read too.
    """
    if not label:
        return None
    for word in reversed([w for w in re.split(r"[/\\:.]", label) if w]):
        flat = word.lower().replace("_", "").replace("-", "").replace(" ", "")
        for build, labels in _LABELS.items():
            for known in labels:
                if flat == known or (len(known) > 3 and flat.startswith(known)):
                    return build
    return None


def _bare(contig: str) -> str:
    return contig[3:] if contig.lower().startswith("chr") else contig


def build_of_lengths(contigs: Mapping[str, int]) -> tuple[str, str, int] | None:
    """The build whose chromosome 1, 2 or X has a length found among ``contigs``.

    Returns:
        (build, contig name as given, its length) for the first telling contig,
        or None when no contig tells (no human chromosome 1, 2 or X).
    """
    for chrom in ("1", "2", "X"):
        for name, length in contigs.items():
            if _bare(name) == chrom and (chrom, length) in _BY_LENGTH:
                return _BY_LENGTH[(chrom, length)], name, length
    return None


def describe_length(name: str, length: int) -> str:
    """``chr1 is 249,250,621 bp (GRCh37's length)``, the build named when known."""
    build = _BY_LENGTH.get((_bare(name), length))
    known = _(" (%(build)s's length)") % {"build": build} if build else ""
    return _("%(name)s is %(length)s bp") % {"name": name, "length": f"{length:,}"} + known


def compared_lengths(theirs: tuple[str, int], ours: tuple[str, int]) -> dict[str, str]:
    """A file's and the reference's length of a contig, described for a message's
    ``%(theirs)s`` and ``%(ours)s``."""
    return {"theirs": describe_length(*theirs), "ours": describe_length(*ours)}


__all__ = ["build_label", "build_of_lengths", "compared_lengths", "describe_length"]
