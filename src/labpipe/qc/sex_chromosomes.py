"""Sex chromosomes: where they are haploid and how each sample is called.

* **PARs.** The pseudoautosomal regions of each build are data files shipped with the
  package (``labpipe/data/par_<build>.tsv``, coordinates from the Genome Reference
  Consortium), or a lab's own file (``reference.par_regions``). Without them labpipe does
  not know where chrX is haploid in a male, so it calls chrX and chrY diploid and says so.
* **Ploidy.** A sample the sample sheet says is male is called haploid on chrX outside the
  PARs and on chrY outside the PARs (bcftools ``--ploidy-file``/``--samples-file``,
  freebayes ``--cnv-map``); every other sample is called diploid everywhere. The sheet
  decides, not the data: a female called haploid would lose her heterozygous X variants,
  while a male called diploid only shows his X variants as homozygous; so an unknown sex
  is called diploid and the QC verdict flags it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from labpipe.config.samplesheet import MALE, UNKNOWN
from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import InputFormatError
from labpipe.core.i18n import N_
from labpipe.core.regions import Interval

#: Builds with shipped PAR files (a config may name them hg38, b37, ...: see
#: :func:`labpipe.core.genome_builds.build_label`).
SHIPPED_PAR_BUILDS = ("GRCh37", "GRCh38")


@dataclass(frozen=True)
class Par:
    """One pseudoautosomal region as the GRC gives it.

    Attributes:
        chrom: ``X`` or ``Y`` (without ``chr``).
        start: First base, 1-based.
        end: Last base, inclusive.
        name: e.g. ``PAR1``.
    """

    chrom: str
    start: int
    end: int
    name: str


def read_par_file(path: Path) -> list[Par]:
    """Read a PAR table: ``contig start end name``, tab-separated, 1-based inclusive.

    ``#`` lines are comments; the contig is ``X``/``Y`` or ``chrX``/``chrY``.

    Raises:
        InputFormatError: Naming the file and every bad line.
    """
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFormatError(f"{path}: cannot read the PAR table ({exc})") from None
    pars: list[Par] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\r").split("\t")
        chrom = fields[0].removeprefix("chr")
        try:
            start, end = int(fields[1]), int(fields[2])
        except (IndexError, ValueError):
            problems.append(f"line {number}: expected 'contig<TAB>start<TAB>end<TAB>name'")
            continue
        if chrom not in ("X", "Y"):
            problems.append(f"line {number}: contig {fields[0]!r} is not chrX or chrY")
        elif not 1 <= start <= end:
            problems.append(f"line {number}: start {start} and end {end} are not 1 <= start <= end")
        else:
            pars.append(Par(chrom, start, end, fields[3] if len(fields) > 3 else ""))
    if problems:
        raise InputFormatError(f"{path}: {len(problems)} problem(s) in the PAR table", problems)
    if not pars:
        raise InputFormatError(f"{path}: no PARs listed")
    return pars


def shipped_par_file(build: str) -> Path | None:
    """The packaged PAR table of a build (``GRCh38``, ``hg19``, ...); None when none ships."""
    from labpipe.core.genome_builds import build_label

    canonical = build_label(build.strip())
    if canonical not in SHIPPED_PAR_BUILDS:
        return None
    return Path(str(resources.files("labpipe").joinpath(f"data/par_{canonical}.tsv")))


@dataclass(frozen=True)
class SexChromosomes:
    """The reference's sex chromosomes and their haploid (male) parts.

    Attributes:
        x: The reference's name for chrX (``chrX`` or ``X``); None when it has none.
        y: The same for chrY.
        haploid: chrX and chrY outside the PARs, in the reference's names (0-based,
            half-open); empty when ``problem`` is set.
        pars: The PARs in the reference's names.
        problem: Why the sex chromosomes cannot be told apart from the PARs ('' if they can).
    """

    x: str | None
    y: str | None
    haploid: tuple[Interval, ...]
    pars: tuple[Interval, ...]
    problem: str = ""


def sex_chromosomes(
    contigs: Mapping[str, int], build: str | None, par_file: Path | None
) -> SexChromosomes:
    """Find chrX/chrY in the reference and their parts outside the PARs.

    Args:
        contigs: The reference's contig lengths (its ``.fai``).
        build: The config's ``reference.build`` (selects a shipped PAR table).
        par_file: The config's ``reference.par_regions``, which wins over the build.

    Raises:
        InputFormatError: The PAR table is malformed.
    """
    x = next((name for name in ("chrX", "X") if name in contigs), None)
    y = next((name for name in ("chrY", "Y") if name in contigs), None)
    if x is None:
        return SexChromosomes(None, y, (), (), N_("the reference has no chrX (or X) contig"))
    source = par_file or (shipped_par_file(build) if build else None)
    if source is None:
        known = ", ".join(SHIPPED_PAR_BUILDS)
        said = f"build '{build}'" if build else "no reference.build"
        return SexChromosomes(
            x,
            y,
            (),
            (),
            f"{said} in the config, so labpipe does not know where the pseudoautosomal "
            f"regions are (shipped: {known}; or give reference.par_regions)",
        )
    names = {"X": x, "Y": y}
    pars = [
        Interval(str(names[p.chrom]), p.start - 1, min(p.end, contigs[str(names[p.chrom])]), p.name)
        for p in read_par_file(source)
        if names[p.chrom] is not None
    ]
    beyond = [p for p in pars if p.start >= contigs[p.contig]]
    if beyond:
        return SexChromosomes(
            x,
            y,
            (),
            (),
            f"{beyond[0].name or 'a PAR'} at {beyond[0].contig}:{beyond[0].start + 1} lies beyond "
            f"the end of {beyond[0].contig} ({contigs[beyond[0].contig]:,} bp): the PAR table "
            f"({source}) is not for this reference",
        )
    haploid: list[Interval] = []
    for contig in (c for c in (x, y) if c is not None):
        haploid += _outside(contig, contigs[contig], [p for p in pars if p.contig == contig])
    return SexChromosomes(x, y, tuple(haploid), tuple(sorted(pars)))


def _outside(contig: str, length: int, pars: list[Interval]) -> list[Interval]:
    parts, at = [], 0
    for par in sorted(pars):
        if par.start > at:
            parts.append(Interval(contig, at, par.start))
        at = max(at, par.end)
    if at < length:
        parts.append(Interval(contig, at, length))
    return parts


def calls_haploid(declared: str, chromosomes: SexChromosomes) -> bool:
    """Whether a sample is called haploid outside the PARs: the sheet says male and the
    PARs are known."""
    return declared == MALE and not chromosomes.problem


def write_ploidy_files(
    sample: str,
    declared: str,
    chromosomes: SexChromosomes,
    ploidy_out: Path,
    samples_out: Path,
    cnv_map_out: Path,
) -> None:
    """The ploidy inputs of both callers for one sample.

    bcftools: a ploidy file (CHROM FROM TO SEX PLOIDY, 1-based inclusive; ``M`` haploid
    outside the PARs, everything else diploid) and a samples file giving the sample ``M``
    or ``F``. freebayes: a ``--cnv-map`` BED (0-based; copy number 1 outside the PARs) for a
    male, empty otherwise. Regions are by position, so every calling chunk sees the same
    ploidy at the same base.
    """
    haploid = chromosomes.haploid if calls_haploid(declared, chromosomes) else ()
    ploidy = [f"{r.contig}\t{r.start + 1}\t{r.end}\tM\t1" for r in chromosomes.haploid]
    ploidy += ["*\t*\t*\tM\t2", "*\t*\t*\tF\t2"]
    write_text_atomic(ploidy_out, "\n".join(ploidy) + "\n")
    write_text_atomic(samples_out, f"{sample}\t{'M' if haploid else 'F'}\n")
    write_text_atomic(
        cnv_map_out, "".join(f"{r.contig}\t{r.start}\t{r.end}\t{sample}\t1\n" for r in haploid)
    )


def ploidy_warnings(
    contigs: Mapping[str, int],
    build: str | None,
    par_file: Path | None,
    declared: Mapping[str, str],
    targets: Iterable[Interval] | None,
) -> list[str]:
    """What ``labpipe validate``/``run`` should say before calling about chrX ploidy.

    Args:
        contigs: The reference's contig lengths.
        build: The config's ``reference.build``.
        par_file: The config's ``reference.par_regions``.
        declared: Each sample's sheet sex.
        targets: The targets, or None for the whole reference.

    Raises:
        InputFormatError: The PAR table is malformed.
    """
    chromosomes = sex_chromosomes(contigs, build, par_file)
    if chromosomes.x is None:
        return []
    if targets is not None and not any(t.contig == chromosomes.x for t in targets):
        return []
    males = [s for s, sex in declared.items() if sex == MALE]
    unknown = [s for s, sex in declared.items() if sex == UNKNOWN]
    warnings = []
    if males and chromosomes.problem:
        warnings.append(
            f"sample(s) {', '.join(males)} are male in the sample sheet, but chrX and chrY "
            f"will be called diploid: {chromosomes.problem}"
        )
    if unknown:
        warnings.append(
            f"no sex in the sample sheet for {', '.join(unknown)}: chrX will be called diploid "
            "(a male's X variants then read homozygous, not hemizygous); give their sex in the "
            "sheet's 'sex' column (male/female) to call a male's chrX haploid"
        )
    return warnings
