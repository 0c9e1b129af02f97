"""Local annotation sources: a ClinVar VCF and population allele-frequency VCFs.

Everything is read from files the lab keeps on disk; nothing is fetched at run
time. Each source is a bgzip-compressed, indexed VCF (``.tbi`` or ``.csi``),
queried around every called variant.

Two things make matching safe rather than merely convenient:

* **Alleles, never positions.** Every source record is split into its ALT
  alleles and each is normalised against our reference (see
  :mod:`labpipe.alleles`) before it is compared with the call, so a
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

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pysam

from labpipe.alleles import AlleleKey, is_sequence_allele, normalise, rightmost_end
from labpipe.errors import ConfigError, InputFormatError

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
# Records whose REF is checked against the reference when a source is opened.
_BUILD_CHECK_RECORDS = 200


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
        try:
            self._vcf = pysam.VariantFile(str(path))
        except (OSError, ValueError) as exc:
            raise InputFormatError(f"{path}: cannot read the {role}: {exc}") from exc
        if self._vcf.index is None:
            self._vcf.close()
            raise InputFormatError(
                f"{path}: the {role} has no index; compress and index it with "
                f"`bgzip {path.name} && tabix -p vcf {path.name}.gz` "
                f"(or `bcftools index -t {path.name}` if it is already bgzipped)"
            )
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
        """Close the file."""
        self._vcf.close()

    def records(self, chrom: str, start: int, end: int) -> Iterator[pysam.VariantRecord]:
        """Records overlapping ``start..end`` (1-based, inclusive) of a reference contig."""
        contig = self.contig_map.get(chrom)
        if contig is None:
            return
        try:
            yield from self._vcf.fetch(contig, start - 1, end)
        except ValueError:
            return  # the contig is in the header but has no records in the index

    def first_records(self, limit: int) -> Iterator[pysam.VariantRecord]:
        """Up to ``limit`` records from the contigs shared with the reference."""
        count = 0
        for contig in self.contig_map.values():
            try:
                for record in self._vcf.fetch(contig):
                    yield record
                    count += 1
                    if count >= limit:
                        return
            except ValueError:
                continue


def check_info_field(source: SourceVcf, field: str, where: str) -> None:
    """Check that a configured field (or ``AC/AN`` ratio) is a numeric INFO field.

    Args:
        source: The opened source.
        field: The configured value.
        where: The config key, e.g. ``annotation.population_af[0].population_field``.

    Raises:
        ConfigError: Naming the key, the file and the nearest existing fields.
    """
    match = _FIELD.match(field)
    if match is None:
        raise ConfigError(
            f"'{where}': {field!r} is not an INFO field name or a ratio like AC_SAS/AN_SAS"
        )
    info = source.header.info
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
            raise ConfigError(f"'{where}': {source.path} has no INFO/{name}; {hint}")
        if info[name].type not in ("Float", "Integer"):
            raise ConfigError(
                f"'{where}': INFO/{name} of {source.path} is {info[name].type}, not a number"
            )


def check_reference_agreement(source: SourceVcf, fasta: pysam.FastaFile) -> tuple[int, int]:
    """Compare the REF of the source's first records with the reference.

    Returns:
        (records checked, records whose REF agrees).

    Raises:
        InputFormatError: When most checked records disagree: the source is for
            another genome build (GRCh37 vs GRCh38) or another reference.
    """
    checked = agree = 0
    reverse = {src: ref for ref, src in source.contig_map.items()}
    lengths = dict(zip(fasta.references, fasta.lengths, strict=True))
    for record in source.first_records(_BUILD_CHECK_RECORDS):
        chrom = reverse[record.chrom]
        if record.ref is None or not is_sequence_allele(record.ref):
            continue
        checked += 1
        end = record.pos - 1 + len(record.ref)
        if end <= lengths[chrom] and fasta.fetch(chrom, record.pos - 1, end).upper() == (
            record.ref.upper()
        ):
            agree += 1
    if checked >= 20 and agree < 0.9 * checked:
        raise InputFormatError(
            f"{source.path}: the REF of {checked - agree} of the first {checked} records of the "
            f"{source.role} differs from the reference; is it for another genome build?"
        )
    return checked, agree


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
