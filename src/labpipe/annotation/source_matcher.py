"""A called variant matched with the records of a source VCF, allele by allele, contig names
mapped (see :mod:`labpipe.annotation.sources`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labpipe.annotation.source_fields import ClinVarAssertion, allele_frequency, clinvar_assertion
from labpipe.annotation.sources import (
    AfColumn,
    PopulationSource,
    SourceMatch,
    SourceVcf,
    check_info_field,
)
from labpipe.core.alleles import AlleleKey, is_sequence_allele, normalise, rightmost_end
from labpipe.core.errors import InputFormatError

if TYPE_CHECKING:  # imported where used: a config without sources is checked without it
    import pysam


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
