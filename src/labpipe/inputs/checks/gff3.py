"""The annotation GFF3 checked against the reference: its sequence names and 9 columns."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import BinaryIO

from labpipe.core.errors import on_line
from labpipe.core.i18n import N_, _
from labpipe.core.regions import chr_alternative, contig_mismatch_problems
from labpipe.inputs.checks.files import (
    GZIP_MAGIC,
    GzipDamage,
    ListedProblems,
    first_text_bytes,
    gunzip_chunks,
    line_blocks,
    new_file_name,
    quote,
    text_command,
    with_fix_command,
)

_UTF8_BOM = b"\xef\xbb\xbf"


def check_gff3_contigs(gff3: Path, contigs: dict[str, int]) -> list[str]:
    """Check that a GFF3's sequence names are the reference's and its lines have 9 columns.

    Only the first column and the tab count are looked at, in large blocks,
    so a whole-genome Ensembl GFF3 takes about as long as decompressing it.
    The rest is checked when :func:`labpipe.annotation.transcripts.load_transcripts` reads it.

    Args:
        gff3: The annotation (plain, gzip or bgzip).
        contigs: Reference contig lengths (see :func:`reference_contigs`).

    Returns:
        One message per problem; empty when every sequence is in the reference.
    """
    gff3 = Path(gff3)
    try:
        with open(gff3, "rb") as handle:
            gzipped = handle.read(2) == GZIP_MAGIC
            handle.seek(0)
            head = first_text_bytes(handle, gzipped, 1 << 16)
            gtf_line = _gtf_line(head)
            handle.seek(0)
            first_line, bad_lines, features = _scan_gff3(handle, gzipped)
    except FileNotFoundError:
        return [f"{gff3}: the GFF3 file does not exist"]
    except IsADirectoryError:
        return [f"{gff3}: is a folder, not a GFF3 file"]
    except OSError as exc:
        return [f"{gff3}: cannot be read ({exc.strerror})"]
    except GzipDamage as exc:
        fixed = with_fix_command(str(exc), gff3, N_("set annotation.gff3 to it"))
        return [f"{gff3}: {fixed}"]
    if head.startswith(_UTF8_BOM):
        new = new_file_name(gff3, "nobom", ".gff3")
        return [
            f"{gff3}: starts with a byte-order mark (saved by a Windows editor), so bcftools csq"
            " would read its first line as a broken feature: write a copy without it with"
            f" `{text_command(gff3)} | sed '1s/^\\xEF\\xBB\\xBF//' > {quote(new)}`, then set"
            " annotation.gff3 to it"
        ]
    if not features:
        return [_("%(path)s: the GFF3 file has no feature lines") % {"path": gff3}]
    if gtf_line:
        gtf = _(
            'this is GTF (attributes written gene_id "..."), not GFF3: give the GFF3 file of the'
            " same annotation release"
        )
        return [f"{gff3}: " + on_line(gtf_line, gtf)]
    missing = [name for name in first_line if name not in contigs]
    named = ListedProblems()
    renamed = False
    for name in missing:
        renamed = renamed or _mitochondrion_alias(name, contigs) is not None
        renamed = renamed or chr_alternative(name) in contigs
        for problem in _contig_problems(name, contigs, first_line[name]):
            named.add(problem)
    if named.hidden:
        more = _("... and %(count)s more contigs not in the reference")
        named.items.append(more % {"count": named.hidden})
        named.hidden = 0
    if renamed:
        named.items.append(_gff3_rename_advice(gff3, contigs))
    problems = bad_lines + named.shown() + _sequence_region_problems(head, contigs)
    return [f"{gff3}: {p}" for p in problems]


_SEQUENCE_REGION = re.compile(rb"^##sequence-region\s+(\S+)\s+\d+\s+(\d+)", re.MULTILINE)


def _bare_contig(name: str) -> str:
    bare = name[3:] if name.lower().startswith("chr") else name
    return "MT" if bare.upper() in ("M", "MT") else bare


def _sequence_region_problems(head: bytes, contigs: dict[str, int]) -> list[str]:
    """A ``##sequence-region`` length other than the reference's: another genome build.

    Ensembl writes one such line per sequence at the top of its GFF3; a GFF3 of
    GRCh37 on a GRCh38 reference would give wrong consequences without any error.
    """
    from labpipe.core.genome_builds import compared_lengths

    by_bare = {_bare_contig(name): name for name in contigs}
    for match in _SEQUENCE_REGION.finditer(head):
        name, end = match[1].decode(errors="replace"), int(match[2])
        ours = name if name in contigs else by_bare.get(_bare_contig(name))
        if ours is None or _bare_contig(name) == "MT" or end == contigs[ours]:
            continue
        line = head.count(b"\n", 0, match.start()) + 1
        build = _(
            "##sequence-region says %(theirs)s, but in the reference %(ours)s: the GFF3 is for"
            " another genome build; give the GFF3 of the reference's build (e.g. Ensembl's"
            " GRCh38 release)"
        )
        return [on_line(line, build % compared_lengths((name, end), (ours, contigs[ours])))]
    return []


def _gff3_rename_advice(gff3: Path, contigs: dict[str, int]) -> str:
    """The command writing a copy of a GFF3 with the reference's contig naming."""
    copy = new_file_name(gff3, "renamed", ".gff3.gz")
    if any(name.startswith("chr") for name in contigs):
        mito = "chrM" if "chrM" in contigs else "chrMT"
        change = f'$1 = ($1 == "MT" ? "{mito}" : "chr" $1)'
    else:
        mito = "MT" if "MT" in contigs else "M"
        change = f'sub(/^chr/, "", $1); if ($1 == "M" || $1 == "MT") $1 = "{mito}"'
    program = f'BEGIN {{FS = OFS = "\\t"}} !/^#/ {{{change}}} {{print}}'
    return (
        "bcftools csq needs the GFF3's contig names to be the reference's: write a renamed"
        f" copy with `zcat -f {shlex.quote(str(gff3))} | awk '{program}' | gzip -c >"
        f" {shlex.quote(str(copy))}`, then set annotation.gff3 to {copy}"
    )


_MITOCHONDRION = ("MT", "chrM", "M", "chrMT")
_GTF_ATTRIBUTE = re.compile(rb'\t(?:gene_id|transcript_id)[ \t]+"')


def _gtf_line(head: bytes) -> int | None:
    """The line number of the first feature line if it is written as GTF, else None."""
    for number, line in enumerate(head.split(b"\n")[:-1], start=1):
        if line.strip() and not line.startswith(b"#"):
            return number if _GTF_ATTRIBUTE.search(line) else None
    return None


def _contig_problems(name: str, contigs: dict[str, int], line: int) -> list[str]:
    """regions.contig_mismatch_problems for one name, plus the mitochondrion's MT/chrM."""
    what = N_("the GFF3 features")
    alias = _mitochondrion_alias(name, contigs)
    if alias:
        mismatch = _(
            "%(what)s use '%(name)s', the reference uses '%(alt)s': rename the contigs"
            " (mitochondrion naming mismatch)"
        )
        return [on_line(line, mismatch % {"what": _(what), "name": name, "alt": alias})]
    return contig_mismatch_problems([name], list(contigs), what, {name: line})


def _mitochondrion_alias(name: str, contigs: dict[str, int]) -> str | None:
    """The reference's other name for the mitochondrion ``name`` (MT, chrM), if it has one."""
    if name not in _MITOCHONDRION:
        return None
    return next((m for m in _MITOCHONDRION if m != name and m in contigs), None)


def _scan_gff3(handle: BinaryIO, gzipped: bool) -> tuple[dict[str, int], list[str], int]:
    """First line of each sequence name, column-count problems, and the feature count."""
    source = gunzip_chunks(handle) if gzipped else iter(lambda: handle.read(1 << 22), b"")
    first_line: dict[str, int] = {}
    bad = ListedProblems()
    features = 0
    line = 0  # lines before ``block``
    for block in line_blocks(source):
        fasta = block.find(b"##FASTA")
        if fasta >= 0 and (fasta == 0 or block[fasta - 1] == ord("\n")):
            block = block[:fasta]  # what follows is sequence, not features
        lines = block.count(b"\n")
        first = _first_feature_name(block)
        in_block = 0
        if first is not None:
            in_block = block.count(b"\n" + first + b"\t") + block.startswith(first + b"\t")
        # Whole-genome files keep one sequence's features together: a block whose
        # lines are comments or features of one sequence with 8 tabs each is taken
        # whole; any other (one with blank lines too) is read line by line.
        comments = block.count(b"\n#") + block.startswith(b"#")
        if (
            first is not None
            and in_block + comments == lines
            and block.count(b"\t") == 8 * in_block
        ):
            features += in_block
            name = first.decode(errors="replace")
            if name not in first_line:
                first_line[name] = line + 1 + _lines_before(block, first)
        else:
            features += _gff3_lines(block, line, first_line, bad)
        line += lines
        if fasta >= 0:
            break
    return first_line, bad.shown(), features


def _first_feature_name(block: bytes) -> bytes | None:
    for raw in block.split(b"\n", 64)[:64]:
        if raw.strip() and not raw.startswith(b"#"):
            return raw.split(b"\t", 1)[0]
    return None


def _lines_before(block: bytes, name: bytes) -> int:
    """Lines of ``block`` before its first line that starts with ``name``."""
    if block.startswith(name + b"\t"):
        return 0
    return block.count(b"\n", 0, block.find(b"\n" + name + b"\t") + 1)


def _gff3_lines(block: bytes, line: int, first_line: dict[str, int], bad: ListedProblems) -> int:
    """Check a block line by line; returns its number of feature lines."""
    features = 0
    for number, raw in enumerate(block.split(b"\n")[:-1], start=line + 1):
        text = raw.rstrip(b"\r")
        if not text.strip() or text.startswith(b"#"):
            continue
        features += 1
        columns = text.count(b"\t") + 1
        if columns != 9:
            bad.add(f"line {number}: expected 9 tab-separated columns, found {columns}")
            continue
        first_line.setdefault(text.split(b"\t", 1)[0].decode(errors="replace"), number)
    return features


__all__ = [
    "check_gff3_contigs",
]
