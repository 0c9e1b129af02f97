"""Local annotation sources: a ClinVar VCF and population allele-frequency VCFs.

Everything is read from files the lab keeps on disk; nothing is fetched at run
time. Each source is a bgzip-compressed, indexed VCF (``.tbi`` or ``.csi``),
queried around every called variant.

Two things make matching safe rather than merely convenient:

* **Alleles, never positions.** Every source record is split into its ALT
  alleles and each is normalised against our reference (see
  :mod:`labpipe.core.alleles`) before it is compared with the call, so a
  right-shifted or padded indel in the source still matches, and another
  allele at the same position never does.
* **Contig names.** ClinVar and Ensembl write ``1``, UCSC-style references
  ``chr1``. A reference contig is looked up under its own name, then with the
  ``chr`` prefix removed or added (``chrM``/``MT`` included). A source that
  shares no contig with the reference under any of these names is an error,
  not a silent absence of matches; one whose REF bases mostly disagree with
  the reference (another genome build) is an error too.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import re
import shlex
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labpipe.core.alleles import AlleleKey, is_sequence_allele, normalise, rightmost_end
from labpipe.core.errors import ConfigError, InputFormatError

if TYPE_CHECKING:  # imported where used: a config without sources is checked without it
    import pysam

# An INFO field, or a ratio of two (ExAC writes AC_SAS and AN_SAS, no AF_SAS).
_FIELD = re.compile(r"^(?P<num>[A-Za-z_][A-Za-z0-9_.]*)(?:/(?P<den>[A-Za-z_][A-Za-z0-9_.]*))?$")

# ClinVar's CLNREVSTAT values and the review stars ClinVar shows for them.
REVIEW_STARS: dict[str, int] = {
    "practice_guideline": 4,
    "reviewed_by_expert_panel": 3,
    "criteria_provided,_multiple_submitters,_no_conflicts": 2,
    "criteria_provided,_conflicting_classifications": 1,
    "criteria_provided,_conflicting_interpretations": 1,
    "criteria_provided,_single_submitter": 1,
    "no_assertion_criteria_provided": 0,
    "no_assertion_provided": 0,
    "no_classification_provided": 0,
    "no_classifications_from_unflagged_records": 0,
    "no_interpretation_for_the_single_variant": 0,
}

_PATHOGENIC_TERMS = frozenset({"pathogenic", "likely_pathogenic"})


@dataclass(frozen=True)
class AfColumn:
    """One allele frequency taken from a population source.

    Attributes:
        source_id: The source's ``id`` from the config.
        kind: ``population`` (e.g. South Asian) or ``global``.
        field: The INFO field, or ``AC_x/AN_x`` for a ratio of two.
        column: Variant-table column, e.g. ``gnomad_population_af``.
        info_id: INFO ID in the annotated VCF, e.g. ``LP_GNOMAD_POPULATION_AF``.
        label: For people: ``gnomAD AF_sas (South Asian)``.
    """

    source_id: str
    kind: str
    field: str
    column: str
    info_id: str
    label: str


@dataclass(frozen=True)
class PopulationSource:
    """One population allele-frequency VCF named in ``annotation.population_af``.

    Attributes:
        id: Short id (letters, digits, ``_``) naming its columns.
        name: Display name, e.g. ``gnomAD v4.1 exomes``.
        vcf: The bgzipped, indexed VCF.
        population: Label of the population field, e.g. ``South Asian``.
        population_field: INFO field of the lab's population (``AF_sas``), or None.
        global_field: INFO field of the global frequency (``AF``), or None.
    """

    id: str
    name: str
    vcf: Path
    population: str
    population_field: str | None
    global_field: str | None

    @property
    def af_columns(self) -> tuple[AfColumn, ...]:
        """The population field's column first, then the global one."""
        columns = []
        for kind, field in (("population", self.population_field), ("global", self.global_field)):
            if field is None:
                continue
            label = f"{self.name} {field}"
            if kind == "population" and self.population:
                label += f" ({self.population})"
            elif kind == "global":
                label += " (global)"
            columns.append(
                AfColumn(
                    source_id=self.id,
                    kind=kind,
                    field=field,
                    column=f"{self.id.lower()}_{kind}_af",
                    info_id=f"LP_{self.id.upper()}_{kind.upper()}_AF",
                    label=label,
                )
            )
        return tuple(columns)


@dataclass(frozen=True)
class ClinVarAssertion:
    """ClinVar's aggregate classification of one allele.

    Attributes:
        variation_id: ClinVar's VariationID (the VCF's ID column).
        significance: CLNSIG as written, e.g. ``Pathogenic/Likely_pathogenic``.
        review_status: CLNREVSTAT as written, e.g. ``criteria_provided,_single_submitter``.
        stars: Review stars (0-4) for the status; None for a status ClinVar does not rate.
        condition: CLNDN, conditions joined by ``|``.
    """

    variation_id: str
    significance: str
    review_status: str
    stars: int | None
    condition: str

    @property
    def pathogenic(self) -> bool:
        """True when ClinVar calls the allele pathogenic or likely pathogenic."""
        return is_pathogenic(self.significance)


@dataclass(frozen=True)
class SourceMatch:
    """What the sources say about one called allele.

    Attributes:
        clinvar: ClinVar's assertion, or None when the allele is not in ClinVar.
        afs: One value per :class:`AfColumn` of the matcher, None when absent.
    """

    clinvar: ClinVarAssertion | None
    afs: tuple[float | None, ...]

    @property
    def max_af(self) -> float | None:
        """The highest frequency over every source and field; None when none has one."""
        present = [af for af in self.afs if af is not None]
        return max(present) if present else None


def is_pathogenic(significance: str) -> bool:
    """True when a CLNSIG value includes Pathogenic or Likely_pathogenic.

    ClinVar joins terms with ``/`` (``Pathogenic/Likely_pathogenic``), ``|``
    (``Pathogenic|risk_factor``) and ``,_`` (``Likely_pathogenic,_low_penetrance``);
    ``Conflicting_classifications_of_pathogenicity`` is not pathogenic.
    """
    terms = re.split(r"[|/,]", significance)
    return any(term.strip(" _").lower() in _PATHOGENIC_TERMS for term in terms)


def review_stars(review_status: str) -> int | None:
    """ClinVar's review stars for a CLNREVSTAT value; None when unknown."""
    return REVIEW_STARS.get(review_status.strip().lower())


def contig_aliases(name: str) -> list[str]:
    """Names a source may use for a reference contig, the exact name first."""
    bare = name[3:] if name.lower().startswith("chr") else name
    aliases = [name, bare, f"chr{bare}"]
    if bare.upper() in ("M", "MT"):
        aliases += ["MT", "chrM", "M", "chrMT"]
    return list(dict.fromkeys(aliases))


def map_contigs(reference: Sequence[str], source: Iterable[str]) -> dict[str, str]:
    """Reference contig -> the source's name for it, for contigs both have."""
    available = set(source)
    mapping = {}
    for contig in reference:
        found = next((alias for alias in contig_aliases(contig) if alias in available), None)
        if found is not None:
            mapping[contig] = found
    return mapping


def _examples(names: Iterable[str], n: int = 4) -> str:
    listed = list(names)
    shown = ", ".join(listed[:n])
    return shown + (", ..." if len(listed) > n else "") if listed else "none"


class SourceVcf:
    """One indexed source VCF, opened once, with its contigs mapped to the reference's.

    Args:
        path: The VCF (bgzip + ``.tbi``/``.csi``).
        role: What it is, for messages (``ClinVar VCF``, ``population AF VCF 'gnomad'``).
        reference_contigs: The reference's contig names.

    Raises:
        InputFormatError: The file cannot be read, has no index, or shares no
            contig with the reference under any naming.
    """

    def __init__(self, path: Path, role: str, reference_contigs: Sequence[str]) -> None:
        self.path = path
        self.role = role
        import pysam

        try:
            self._vcf = pysam.VariantFile(str(path))
        except (OSError, ValueError) as exc:
            raise InputFormatError(f"{path}: cannot read the {role}: {exc}") from exc
        if self._vcf.index is None:
            self._vcf.close()
            from labpipe.inputs.checks import compression_of

            kind = compression_of(path)
            if kind == "bgzf":
                raise InputFormatError(index_problems(path, role)[0])
            raise InputFormatError(f"{path}: {recompress_advice(path, kind, 'its config line')}")
        source_contigs = list(dict.fromkeys([*self._vcf.index.keys(), *self._vcf.header.contigs]))
        self.contig_map = map_contigs(reference_contigs, source_contigs)
        if not self.contig_map:
            self._vcf.close()
            raise InputFormatError(
                f"{path}: none of the {role}'s contigs ({_examples(source_contigs)}) is a "
                f"contig of the reference ({_examples(reference_contigs)}), even allowing for "
                "a 'chr' prefix; check that both are for the same genome"
            )
        self.renamed = {ref: src for ref, src in self.contig_map.items() if ref != src}

    @property
    def header(self) -> pysam.VariantHeader:
        """The source's VCF header."""
        return self._vcf.header

    def naming_note(self) -> str:
        """How contig names were matched, for the log and the report."""
        if not self.renamed:
            return "contig names as in the reference"
        pairs = list(self.renamed.items())[:3]
        shown = ", ".join(f"{src} = {ref}" for ref, src in pairs)
        more = ", ..." if len(self.renamed) > 3 else ""
        return f"contigs renamed to the reference's naming ({shown}{more})"

    def close(self) -> None:
        """Close the file (after a read error htslib fails to close it: already reported)."""
        with contextlib.suppress(OSError):
            self._vcf.close()

    def records(self, chrom: str, start: int, end: int) -> Iterator[pysam.VariantRecord]:
        """Records overlapping ``start..end`` (1-based, inclusive) of a reference contig.

        Raises:
            InputFormatError: The file is damaged there (htslib's ``truncated file``).
        """
        contig = self.contig_map.get(chrom)
        if contig is None:
            return
        try:
            yield from self._vcf.fetch(contig, start - 1, end)
        except ValueError:
            return  # the contig is in the header but has no records in the index
        except OSError as exc:
            raise InputFormatError(
                damaged_message(self.path, self.role, exc, f"near {contig}:{start}")
            ) from None


def damaged_message(path: Path, role: str, exc: BaseException, where: str = "") -> str:
    """The user's message for an htslib read error in a source (truncated or corrupt data).

    ``where`` completes "cannot be read to the end": ``near chr1:5000``, ``after 1:12345``.
    """
    at = f" {where}" if where else ""
    said = str(exc) or type(exc).__name__
    return (
        f"{path}: the {role} cannot be read to the end{at} ({said}): the file is damaged or"
        " cut short (an interrupted download or copy?); download it again and check it with"
        " `labpipe validate`"
    )


def check_info_field(source: SourceVcf, field: str, where: str) -> None:
    """Check that a configured field (or ``AC/AN`` ratio) is a numeric INFO field.

    Args:
        source: The opened source.
        field: The configured value.
        where: The config key, e.g. ``annotation.population_af[0].population_field``.

    Raises:
        ConfigError: Naming the key, the file and the nearest existing fields.
    """
    _field_problem(source.header, field, where, source.path)


def _values(record: pysam.VariantRecord, field: str) -> Any:
    try:
        return record.info[field]
    except (KeyError, ValueError):
        return None


def _allele_value(
    record: pysam.VariantRecord, field: str, number: Any, alt_index: int
) -> float | None:
    """One ALT allele's value of a numeric INFO field, by the field's declared Number."""
    value = _values(record, field)
    if value is None:
        return None
    if isinstance(value, tuple):
        n_alts = len(record.alts or ())
        if number == "A" or (number not in ("R",) and len(value) == n_alts and n_alts > 1):
            item = value[alt_index] if alt_index < len(value) else None
        elif number == "R":
            item = value[alt_index + 1] if alt_index + 1 < len(value) else None
        else:
            item = value[0] if value else None
    else:
        item = value
    # pysam hands back Float fields as single precision (0.05 -> 0.0500000007);
    # 7 significant digits is what the file held.
    return None if item is None else float(f"{float(item):.7g}")


def allele_frequency(
    record: pysam.VariantRecord, header: pysam.VariantHeader, field: str, alt_index: int
) -> float | None:
    """The frequency a configured field gives one ALT of a record.

    Args:
        record: The source record.
        header: Its header (for each field's Number).
        field: ``AF_sas``, or ``AC_SAS/AN_SAS`` for a ratio computed here.
        alt_index: 0-based index of the ALT in ``record.alts``.

    Returns:
        The frequency, or None when the record has no value (or AN is 0).
    """
    match = _FIELD.match(field)
    if match is None:
        return None
    numerator = _allele_value(record, match["num"], header.info[match["num"]].number, alt_index)
    if match["den"] is None or numerator is None:
        return numerator
    denominator = _allele_value(record, match["den"], header.info[match["den"]].number, alt_index)
    if not denominator:
        return None
    return numerator / denominator


def _joined(value: Any) -> str:
    """An INFO value as text: pysam splits Number=. strings on commas; join them back."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value if v is not None)
    return str(value)


def clinvar_assertion(record: pysam.VariantRecord) -> ClinVarAssertion | None:
    """ClinVar's assertion from one ClinVar VCF record; None without CLNSIG."""
    significance = _joined(_values(record, "CLNSIG"))
    if not significance:
        return None
    review_status = _joined(_values(record, "CLNREVSTAT"))
    return ClinVarAssertion(
        variation_id=record.id or "",
        significance=significance,
        review_status=review_status,
        stars=review_stars(review_status),
        condition=_joined(_values(record, "CLNDN")),
    )


class SourceMatcher:
    """Looks every called allele up in the ClinVar and population VCFs.

    Args:
        reference: The indexed FASTA the calls were made against.
        clinvar: The ClinVar VCF, or None.
        population: The population sources, in config order.

    Raises:
        InputFormatError, ConfigError: A source cannot be used (see :class:`SourceVcf`,
            :func:`check_info_field`).
    """

    def __init__(
        self,
        reference: Path,
        clinvar: Path | None,
        population: Sequence[PopulationSource],
    ) -> None:
        import pysam

        try:
            self._fasta = pysam.FastaFile(str(reference))
        except (OSError, ValueError) as exc:
            raise InputFormatError(f"{reference}: cannot read FASTA: {exc}") from exc
        contigs = list(self._fasta.references)
        self._opened: list[SourceVcf] = []
        try:
            self.clinvar = None
            if clinvar is not None:
                self.clinvar = self._open(clinvar, "ClinVar VCF", contigs)
                if "CLNSIG" not in self.clinvar.header.info:
                    raise InputFormatError(
                        f"{clinvar}: no INFO/CLNSIG in the header; is this ClinVar's VCF "
                        "(clinvar.vcf.gz from the ClinVar FTP site's vcf_GRCh38 folder)?"
                    )
            self.population: list[tuple[PopulationSource, SourceVcf]] = []
            for index, source in enumerate(population):
                opened = self._open(source.vcf, f"population AF VCF '{source.id}'", contigs)
                for column in source.af_columns:
                    where = f"annotation.population_af[{index}].{column.kind}_field"
                    check_info_field(opened, column.field, where)
                self.population.append((source, opened))
        except BaseException:
            self.close()
            raise
        self.af_columns: tuple[AfColumn, ...] = tuple(
            column for source, _ in self.population for column in source.af_columns
        )
        self.ref_mismatches = 0

    def _open(self, path: Path, role: str, contigs: list[str]) -> SourceVcf:
        opened = SourceVcf(path, role, contigs)
        self._opened.append(opened)
        return opened

    def close(self) -> None:
        """Close every file."""
        for opened in self._opened:
            opened.close()
        self._fasta.close()

    def sources(self) -> list[SourceVcf]:
        """Every opened source, ClinVar first."""
        return list(self._opened)

    def _fetcher(self, chrom: str) -> Any:
        fasta = self._fasta
        return lambda start, end: fasta.fetch(chrom, max(start, 0), end)

    def lookup(self, chrom: str, pos: int, ref: str, alt: str) -> SourceMatch:
        """Everything the sources know about one called allele.

        Args:
            chrom, pos, ref, alt: The call (reference contig naming); it is
                normalised here too, so an un-normalised call still matches.

        Returns:
            ClinVar's assertion (the best-reviewed one when several records
            normalise to this allele) and each AF column's value (the highest
            when several records match).
        """
        if not is_sequence_allele(alt) or chrom not in self._fasta.references:
            return SourceMatch(None, tuple(None for _ in self.af_columns))
        fetch = self._fetcher(chrom)
        key = normalise(chrom, pos, ref, alt, fetch)
        end = rightmost_end(key.pos, key.ref, key.alt, fetch)
        clinvar: ClinVarAssertion | None = None
        if self.clinvar is not None:
            for record, _ in self._matching(self.clinvar, key, end, fetch):
                found = clinvar_assertion(record)
                if found is not None and (
                    clinvar is None or (found.stars or 0) > (clinvar.stars or 0)
                ):
                    clinvar = found
        afs: list[float | None] = []
        for source, opened in self.population:
            matches = list(self._matching(opened, key, end, fetch))
            for column in source.af_columns:
                values = [
                    value
                    for record, index in matches
                    if (value := allele_frequency(record, opened.header, column.field, index))
                    is not None
                ]
                afs.append(max(values) if values else None)
        return SourceMatch(clinvar, tuple(afs))

    def _matching(
        self, source: SourceVcf, key: AlleleKey, end: int, fetch: Any
    ) -> Iterator[tuple[pysam.VariantRecord, int]]:
        """Source records (and ALT index) whose allele normalises to ``key``."""
        for record in source.records(key.chrom, key.pos, end):
            if record.ref is None or not record.alts:
                continue
            written = fetch(record.pos - 1, record.pos - 1 + len(record.ref)).upper()
            if written != record.ref.upper():
                # Normalising against the wrong bases could invent a match.
                self.ref_mismatches += 1
                continue
            for index, alt in enumerate(record.alts):
                if not is_sequence_allele(alt):
                    continue
                if normalise(key.chrom, record.pos, record.ref, alt, fetch) == key:
                    yield record, index


def describe_source(source: SourceVcf) -> Mapping[str, Any]:
    """Header facts worth printing in a report: file date, source, reference."""
    facts: dict[str, Any] = {}
    for record in source.header.records:
        if record.key in ("fileDate", "source", "reference") and record.value:
            facts[record.key] = record.value
    facts["contig_naming"] = source.naming_note()
    return facts


# ----------------------------------------------------------------------- before a run

FULL_READ_BYTES = 1 << 30
"""Source VCFs up to this size are read to the end by ``labpipe validate``.

Every record is parsed and every BGZF block decompressed, so a file damaged or
cut anywhere is caught before hours of alignment. Measured on a ClinVar-like
file of 3.5 million records (129 MB bgzip, ClinVar's INFO fields): 3.4 s of CPU
(11 s wall on 2 cores shared by 8 busy sessions); a file 8 times that size takes
about half a minute. A larger file (a whole gnomAD chromosome) gets its header,
its BGZF end and the first records of each contig read instead.
"""

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


def check_source(
    check: SourceCheck,
    contigs: Mapping[str, int],
    fasta: Path | None,
    reference_build: str | None,
    *,
    full_read_bytes: int = FULL_READ_BYTES,
) -> SourceReport:
    """Open one source VCF the way the annotation step will, and read it through.

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
    from labpipe.inputs.checks import bgzf_end_problem, compression_of

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
    import pysam  # here: a config without sources is checked without it

    verbosity = pysam.set_verbosity(0)  # htslib's own warnings would repeat ours
    try:
        _check_open_source(check, contigs, fasta, reference_build, full_read_bytes, report)
    finally:
        pysam.set_verbosity(verbosity)
    return report


def recompress_advice(path: Path, kind: str, key: str) -> str:
    """Why a source must be BGZF, and the commands making an indexed BGZF copy of it."""
    from labpipe.inputs.checks import decompress_command, new_file_name

    copy = new_file_name(path, "bgzip", ".vcf.gz")
    what = {"plain": "not compressed", "gzip": "compressed with plain gzip, not bgzip"}.get(
        kind, f"compressed with {kind}"
    )
    new = shlex.quote(str(copy))
    if kind == "plain":
        compress = f"bgzip -c {shlex.quote(str(path))} > {new}"
    else:
        compress = f"{decompress_command(path, kind)} | bgzip -c > {new}"
    return (
        f"the file is {what}; labpipe reads source VCFs by position, which needs bgzip and an"
        f" index: make an indexed bgzip copy with `{compress} && tabix -p vcf {new}`, then set"
        f" {key} to {copy}"
    )


def index_problems(path: Path, key: str) -> list[str]:
    """A missing index, or one older than its VCF (made before the file was replaced)."""
    indexes = [Path(f"{path}{suffix}") for suffix in (".tbi", ".csi")]
    present = [index for index in indexes if index.is_file()]
    quoted = shlex.quote(str(path))
    if not present:
        return [
            f"'{key}': {path} has no index ({path.name}.tbi or .csi): make one beside it with"
            f" `tabix -p vcf {quoted}` (the VCF itself is not changed)"
        ]
    newest = max(present, key=lambda index: index.stat().st_mtime)
    if newest.stat().st_mtime + 1 < path.stat().st_mtime:
        rebuild = (
            f"bcftools index -f -c {quoted}"
            if newest.suffix == ".csi"
            else f"tabix -f -p vcf {quoted}"
        )
        return [
            f"'{key}': {newest} is older than {path.name} (the VCF was replaced after it was"
            f" indexed?), so lookups would read the wrong places: rebuild it with `{rebuild}`"
            " (the VCF itself is not changed)"
        ]
    return []


def _check_open_source(
    check: SourceCheck,
    contigs: Mapping[str, int],
    fasta: Path | None,
    reference_build: str | None,
    full_read_bytes: int,
    report: SourceReport,
) -> None:
    where = f"'{check.key}': {check.path}"
    import pysam

    try:
        vcf = pysam.VariantFile(str(check.path))
    except (OSError, ValueError) as exc:
        if "valid header" in str(exc):
            why = "its header is not valid VCF (a malformed ## line, or an empty sample name?)"
        else:
            why = "the data is not VCF or BCF (nothing in it, or another format?)"
        report.problems.append(f"{where}: not a readable VCF: {why}; download it again")
        return
    try:
        report.problems += _header_problems(check, vcf.header)
        index_contigs = list(vcf.index.keys()) if vcf.index is not None else []
        source_contigs = list(dict.fromkeys([*vcf.header.contigs, *index_contigs]))
        mapping = map_contigs(list(contigs), source_contigs)
        if not mapping:
            report.problems.append(_no_shared_contig(check, source_contigs, list(contigs)))
            return
        report.problems += _build_problems(check, vcf.header, mapping, contigs, reference_build)
        samples = _read_records(check, vcf, mapping, full_read_bytes, report)
        damaged = any("cannot be read to the end" in p for p in report.problems)
        if vcf.index is not None and not damaged:
            report.problems += _beyond_end(check, vcf, mapping, contigs)
    finally:
        with contextlib.suppress(OSError):  # after a read error, already reported
            vcf.close()
    if fasta is not None and samples:
        report.problems += _ref_problems(check, samples, mapping, fasta, report)


def _header_problems(check: SourceCheck, header: pysam.VariantHeader) -> list[str]:
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
            _field_problem(header, configured, key, check.path)
        except ConfigError as exc:
            problems.append(str(exc))
    return problems


def _no_shared_contig(check: SourceCheck, source: list[str], reference: list[str]) -> str:
    rename = shlex.quote(str(check.path))
    from labpipe.inputs.checks import new_file_name

    copy = shlex.quote(str(new_file_name(check.path, "renamed", ".vcf.gz")))
    return (
        f"'{check.key}': none of the contigs of {check.path} ({_examples(source)}) is a contig"
        f" of the reference ({_examples(reference)}), even allowing for a 'chr' prefix: check"
        " that both are for the same genome; if they are but name contigs differently, write"
        " a file names.txt of lines '<its name> <reference name>' and make a renamed copy"
        f" with `bcftools annotate --rename-chrs names.txt -Oz -o {copy} {rename} && tabix -p"
        f" vcf {copy}`, then set {check.key} to it"
    )


def _build_problems(
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


def _read_records(
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


def _beyond_end(
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


def _ref_problems(
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


def _field_problem(header: pysam.VariantHeader, field_name: str, where: str, path: Path) -> None:
    """Raise :class:`ConfigError` when a configured field is not a numeric INFO field."""
    match = _FIELD.match(field_name)
    if match is None:
        raise ConfigError(
            f"'{where}': {field_name!r} is not an INFO field name or a ratio like AC_SAS/AN_SAS"
        )
    info = header.info
    for name in filter(None, (match["num"], match["den"])):
        if name not in info:
            numeric = [k for k in info if info[k].type in ("Float", "Integer")]
            # Case is the commonest slip (gnomAD v2 wrote AF_SAS, v4 writes AF_sas).
            by_lower = {k.lower(): k for k in numeric}
            close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.5)
            hints = [by_lower[k] for k in close]
            hint = (
                f"did you mean {', '.join(hints)}?" if hints else f"fields: {_examples(numeric, 8)}"
            )
            raise ConfigError(f"'{where}': {path} has no INFO/{name}; {hint}")
        if info[name].type not in ("Float", "Integer"):
            raise ConfigError(
                f"'{where}': INFO/{name} of {path} is {info[name].type}, not a number"
            )
