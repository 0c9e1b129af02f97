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

The records' values are read by :mod:`labpipe.annotation.source_fields`, calls matched by
:mod:`labpipe.annotation.source_matcher`; the checks before a run are
:mod:`labpipe.annotation.source_checks`.
"""

from __future__ import annotations

import contextlib
import difflib
import shlex
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labpipe.annotation.source_fields import INFO_FIELD, ClinVarAssertion
from labpipe.annotation.vcf_header import VcfHeader
from labpipe.core.errors import ConfigError, InputFormatError
from labpipe.core.i18n import N_, translate_written

if TYPE_CHECKING:  # imported where used: a config without sources is checked without it
    import pysam

# What sources.json says of a source (English; the report shows it through facts_in_words):
# how its contigs were named, and its fields.
SAME_NAMING = N_("contig names as in the reference")
RENAMED = N_("contigs renamed to the reference's naming (%(pairs)s)")
GLOBAL_LABEL = N_("%(field)s (global)")
FACT_MESSAGES = (RENAMED, GLOBAL_LABEL)


def facts_in_words(text: str) -> str:
    """A source's contig naming note or field label in the current language."""
    return translate_written(text, FACT_MESSAGES, separator="\n")


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
                label = GLOBAL_LABEL % {"field": label}
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


def examples(names: Iterable[str], n: int = 4) -> str:
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
            from labpipe.inputs.checks.files import compression_of

            kind = compression_of(path)
            if kind == "bgzf":
                raise InputFormatError(index_problems(path, role)[0])
            raise InputFormatError(f"{path}: {recompress_advice(path, kind, 'its config line')}")
        source_contigs = list(dict.fromkeys([*self._vcf.index.keys(), *self._vcf.header.contigs]))
        self.contig_map = map_contigs(reference_contigs, source_contigs)
        if not self.contig_map:
            self._vcf.close()
            raise InputFormatError(
                f"{path}: none of the {role}'s contigs ({examples(source_contigs)}) is a "
                f"contig of the reference ({examples(reference_contigs)}), even allowing for "
                "a 'chr' prefix; check that both are for the same genome"
            )
        self.renamed = {ref: src for ref, src in self.contig_map.items() if ref != src}
        self.parsed_header = VcfHeader.parse(str(self._vcf.header))

    @property
    def header(self) -> pysam.VariantHeader:
        """The source's VCF header, as pysam reads its records with it."""
        return self._vcf.header

    def naming_note(self) -> str:
        """How contig names were matched, for the log and the report."""
        if not self.renamed:
            return SAME_NAMING
        pairs = list(self.renamed.items())[:3]
        shown = ", ".join(f"{src} = {ref}" for ref, src in pairs)
        more = ", ..." if len(self.renamed) > 3 else ""
        return RENAMED % {"pairs": shown + more}

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
    field_problem(source.parsed_header, field, where, source.path)


def describe_source(source: SourceVcf) -> Mapping[str, Any]:
    """Header facts worth printing in a report: file date, source, reference."""
    facts: dict[str, Any] = {}
    for key in ("fileDate", "source", "reference"):
        value = source.parsed_header.value(key)
        if value is not None:
            facts[key] = value
    facts["contig_naming"] = source.naming_note()
    return facts


def recompress_advice(path: Path, kind: str, key: str) -> str:
    """Why a source must be BGZF, and the commands making an indexed BGZF copy of it."""
    from labpipe.inputs.checks.files import decompress_command, new_file_name

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


def field_problem(header: VcfHeader, field_name: str, where: str, path: Path) -> None:
    """Raise :class:`ConfigError` when a configured field is not a numeric INFO field.

    One judge for ``labpipe validate`` (the header read by bcftools) and the annotation
    step (the header of the file pysam has open).
    """
    match = INFO_FIELD.match(field_name)
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
                f"did you mean {', '.join(hints)}?" if hints else f"fields: {examples(numeric, 8)}"
            )
            raise ConfigError(f"'{where}': {path} has no INFO/{name}; {hint}")
        if info[name].type not in ("Float", "Integer"):
            raise ConfigError(
                f"'{where}': INFO/{name} of {path} is {info[name].type}, not a number"
            )
