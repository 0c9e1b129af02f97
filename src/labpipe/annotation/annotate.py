"""``labpipe annotate``: a sample's calls with everything a clinical scientist reads.

Input is the sample's VCF after ``bcftools csq`` (or the plain calls when the
lab gives no GFF3). For each ALT allele this step:

1. chooses the transcript to report (MANE Select, else Ensembl canonical,
   else the most severe consequence, then the longest CDS) and writes HGVS c./p.
   (:mod:`labpipe.annotation.csq_choice`);
2. looks the normalised allele up in the lab's ClinVar and population-AF VCFs
   (:mod:`labpipe.annotation.sources`);
3. flags genes in the sample's panels (:mod:`labpipe.annotation.panels`);
4. assigns a tier (:mod:`labpipe.annotation.tiers`);
5. flags homozygous calls inside a run of homozygosity (:mod:`labpipe.annotation.roh`);
6. labels each candidate's inheritance: from the family's inheritance table for an affected
   member with both parents sequenced, else the homozygous candidates in a run of
   homozygosity (:mod:`labpipe.annotation.inheritance`; with ``tiers.require_inheritance``
   this may move a tier 2 candidate to tier 3, in the VCF's ``LP_*`` fields too).

It writes the VCF again with ``LP_*`` INFO fields (:mod:`labpipe.annotation.vcf_info`;
declared in the header, with ``##labpipe_annotation_source`` lines naming each source),
the variant table (TSV) and the same table as an XLSX workbook with one sheet per tier.

The checks of the annotation files before a run are in
:mod:`labpipe.annotation.annotation_inputs`.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from labpipe.annotation.annotated_table import (
    AnnotatedVariant,
    ClinicalAnnotation,
    write_annotated_table,
)
from labpipe.annotation.confidence import ConfidenceRules, confidence_flag
from labpipe.annotation.inheritance import InheritanceCall
from labpipe.annotation.inheritance_column import apply_inheritance
from labpipe.annotation.panels import PanelSpec, load_panel, panel_specs, sample_panel_genes
from labpipe.annotation.roh import RohSettings, SegmentIndex, read_roh, reported_segments
from labpipe.annotation.source_matcher import SourceMatcher
from labpipe.annotation.sources import AfColumn, PopulationSource, describe_source
from labpipe.annotation.tiers import (
    INCIDENTAL_MARK,
    TierRules,
    assign_tier,
    frequency_class,
    is_incidental,
)
from labpipe.annotation.transcripts import TranscriptModel, load_transcripts
from labpipe.annotation.variant_reader import VariantReader
from labpipe.annotation.variant_table import VariantRow
from labpipe.annotation.vcf_info import header_infos, set_info_fields
from labpipe.config.lab import LabConfig
from labpipe.core.atomic import atomic_path
from labpipe.core.errors import InputFormatError


@dataclass(frozen=True)
class AnnotationSettings:
    """The ``annotation`` section of a lab config, paths resolved.

    Attributes:
        gff3: Ensembl GFF3 given to csq, or None.
        clinvar: ClinVar VCF, or None.
        population: Population AF sources, in config order.
        panels: Gene panels.
        tiers: Tier thresholds.
        roh: Run-of-homozygosity settings.
        confidence: Thresholds of the "confirm orthogonally" flag.
        incidental_in_tier1: ``report.incidental_in_tier1``: the lab reports off-panel
            ClinVar P/LP calls in tier 1, so the table does not mark them incidental.
    """

    gff3: Path | None
    clinvar: Path | None
    population: tuple[PopulationSource, ...]
    panels: tuple[PanelSpec, ...]
    tiers: TierRules
    roh: RohSettings
    confidence: ConfidenceRules = field(default_factory=ConfidenceRules)
    incidental_in_tier1: bool = False

    @classmethod
    def from_config(cls, lab: LabConfig) -> AnnotationSettings:
        """Settings from a loaded config (:func:`labpipe.config.settings.load_config`)."""
        section = lab.annotation
        population = tuple(
            PopulationSource(
                id=entry.id,
                name=entry.name or entry.id,
                vcf=entry.vcf,
                population=entry.population or "",
                population_field=entry.population_field,
                global_field=entry.global_field,
            )
            for entry in section.population_af
        )
        return cls(
            gff3=section.gff3,
            clinvar=section.clinvar,
            population=population,
            panels=panel_specs(section.panels),
            tiers=TierRules.from_config(section.tiers),
            roh=RohSettings.from_config(section.roh),
            confidence=ConfidenceRules.from_config(section.confidence),
            incidental_in_tier1=lab.report.incidental_in_tier1,
        )

    @property
    def af_columns(self) -> tuple[AfColumn, ...]:
        """Every AF column, source by source."""
        return tuple(column for source in self.population for column in source.af_columns)

    def source_files(self) -> dict[str, Path]:
        """Every annotation file by role, for checks and provenance."""
        files: dict[str, Path] = {}
        if self.gff3 is not None:
            files["gff3"] = self.gff3
        if self.clinvar is not None:
            files["clinvar"] = self.clinvar
        for source in self.population:
            files[f"population_af:{source.id}"] = source.vcf
        for panel in self.panels:
            files[f"panel:{panel.name}"] = panel.file
        return files


@dataclass(frozen=True)
class AnnotationSummary:
    """What :func:`annotate_sample` wrote, for the log.

    Attributes:
        variants: Rows written.
        by_tier: Rows per tier.
        clinvar_matches: Alleles found in ClinVar.
        af_matches: Alleles with any population AF.
        roh_segments: Runs reported.
        source_notes: One line per source: how its contigs were matched.
    """

    variants: int
    by_tier: dict[int, int]
    clinvar_matches: int
    af_matches: int
    roh_segments: int
    source_notes: tuple[str, ...]

    def lines(self) -> list[str]:
        """The summary as log lines."""
        tiers = ", ".join(f"tier {t}: {n}" for t, n in sorted(self.by_tier.items()))
        return [
            f"{self.variants} variant alleles annotated ({tiers or 'none'})",
            f"{self.clinvar_matches} found in ClinVar, {self.af_matches} with a population AF",
            f"{self.roh_segments} runs of homozygosity reported",
            *self.source_notes,
        ]


def annotate_sample(
    vcf: Path,
    sample: str,
    reference: Path,
    settings: AnnotationSettings,
    out_vcf: Path,
    out_tsv: Path,
    out_xlsx: Path | None = None,
    roh_output: Path | None = None,
    header_lines: Sequence[str] = (),
    inheritance: Sequence[InheritanceCall] | None = None,
) -> AnnotationSummary:
    """Annotate one sample's calls and write its VCF, variant table and workbook.

    Args:
        vcf: The sample's calls, after ``bcftools csq -l`` when ``settings.gff3`` is set.
        sample: The sample (a column of the VCF).
        reference: The indexed FASTA the calls were made against.
        settings: The lab's annotation settings.
        out_vcf: The annotated VCF (``.vcf.gz``; a ``.tbi`` is written beside it).
        out_tsv: The variant table.
        out_xlsx: The variant table as a workbook, one sheet per tier; None skips it.
        roh_output: ``bcftools roh`` output for the sample, or None.
        header_lines: Extra ``##`` lines for the VCF header (provenance).
        inheritance: The sample's rows of its family's inheritance table when it is an
            affected member with both parents sequenced; None for everyone else.

    Returns:
        Counts for the log.

    Raises:
        InputFormatError, ConfigError: An input or source cannot be used; the
            message names the file and what to do.
    """
    import cyvcf2
    import pysam

    models: dict[str, TranscriptModel] = (
        load_transcripts(settings.gff3) if settings.gff3 is not None else {}
    )
    panels = [
        load_panel(spec, models if settings.gff3 is not None else None) for spec in settings.panels
    ]
    panel_genes = sample_panel_genes(panels, settings.panels, sample)
    segments = reported_segments(read_roh(roh_output, sample), settings.roh) if roh_output else []
    roh_index = SegmentIndex(segments)
    matcher = SourceMatcher(reference, settings.clinvar, settings.population)
    af_columns = matcher.af_columns
    variants: list[AnnotatedVariant] = []
    try:
        with VariantReader(vcf, settings.gff3, reference, sample, models) as reader:
            for info in header_infos(af_columns):
                reader.vcf.add_info_to_header(
                    {
                        "ID": info.id,
                        "Number": "A",
                        "Type": info.type,
                        "Description": info.description,
                    }
                )
            for line in [*header_lines, *_source_header_lines(matcher, settings)]:
                reader.vcf.add_to_header(line)
            # The index is written beside the VCF and moved into place with it.
            with atomic_path(out_vcf, suffix=".vcf.gz", companions=(".tbi",)) as temporary:
                writer = cyvcf2.Writer(str(temporary), reader.vcf, mode="wz")
                try:
                    # Held until every row is read: compound heterozygosity pairs rows of
                    # one gene, and the tier rule may then change a record's LP_* fields.
                    records = []
                    for record, rows in reader.records():
                        annotated = [
                            _annotate_row(row, matcher, panel_genes, settings, roh_index)
                            for row in rows
                        ]
                        records.append((record, len(annotated)))
                        variants += annotated
                    variants = apply_inheritance(
                        variants, inheritance, settings.tiers.require_inheritance
                    )
                    at = 0
                    for record, count in records:
                        set_info_fields(record, variants[at : at + count], af_columns)
                        writer.write_record(record)
                        at += count
                except OSError as exc:
                    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                        raise  # a full disk while writing, not a damaged input
                    # htslib's "truncated file" from cyvcf2; the sources raise their own.
                    raise InputFormatError(
                        f"{vcf}: cannot be read to the end ({exc}); the calls file is damaged:"
                        " delete it and run again to remake it"
                    ) from None
                finally:
                    writer.close()
                pysam.tabix_index(str(temporary), preset="vcf", force=True)
        notes = tuple(f"{s.role}: {s.naming_note()}" for s in matcher.sources())
        if matcher.ref_mismatches:
            notes += (
                f"{matcher.ref_mismatches} source records skipped: their REF differs from "
                "the reference",
            )
    finally:
        matcher.close()
    write_annotated_table(out_tsv, [c.column for c in af_columns], variants)
    if out_xlsx is not None:
        from labpipe.annotation.xlsx_table import write_variant_workbook

        write_variant_workbook(out_xlsx, sample, [c.column for c in af_columns], variants)
    by_tier: dict[int, int] = {}
    for variant in variants:
        by_tier[variant.clinical.tier] = by_tier.get(variant.clinical.tier, 0) + 1
    return AnnotationSummary(
        variants=len(variants),
        by_tier=by_tier,
        clinvar_matches=sum(1 for v in variants if v.clinical.clinvar_significance),
        af_matches=sum(1 for v in variants if v.clinical.max_af is not None),
        roh_segments=len(segments),
        source_notes=notes,
    )


def _annotate_row(
    row: VariantRow,
    matcher: SourceMatcher,
    panel_genes: Mapping[str, frozenset[str]],
    settings: AnnotationSettings,
    roh_index: SegmentIndex,
) -> AnnotatedVariant:
    match = matcher.lookup(row.chrom, row.pos, row.ref, row.alt)
    in_panels = [name for name, genes in panel_genes.items() if row.gene and row.gene in genes]
    # Without a panel for this sample the whole assay is the test: every gene counts. Without
    # a gene model the gene is unknown: no call is taken as outside the panel (incidental).
    panel_gene = bool(in_panels) if panel_genes and settings.gff3 is not None else True
    clinvar = match.clinvar
    tier = assign_tier(
        row.consequence,
        panel_gene,
        clinvar.significance if clinvar else "",
        clinvar.stars if clinvar else None,
        match.max_af,
        settings.tiers,
        frequency_known=bool(settings.population),
        consequence_known=settings.gff3 is not None,
    )
    segment = roh_index.find(row.chrom, row.pos) if row.zygosity == "hom_alt" else None
    clinical = ClinicalAnnotation(
        tier=tier.tier,
        tier_reason=tier.reason,
        in_panel=",".join(in_panels),
        clinvar_significance=clinvar.significance if clinvar else "",
        clinvar_review_status=clinvar.review_status if clinvar else "",
        clinvar_stars=clinvar.stars if clinvar else None,
        clinvar_condition=clinvar.condition if clinvar else "",
        clinvar_id=clinvar.variation_id if clinvar else "",
        max_af=match.max_af,
        population_afs=match.afs,
        roh_segment=f"{segment.chrom}:{segment.start}-{segment.end}" if segment else "",
        frequency=frequency_class(match.max_af, bool(settings.population), settings.tiers),
        confidence=confidence_flag(
            row.zygosity, row.depth, row.allele_fraction, settings.confidence
        ),
        incidental=INCIDENTAL_MARK
        if is_incidental(tier.tier, panel_gene, settings.incidental_in_tier1)
        else "",
    )
    return AnnotatedVariant(row, clinical)


def _quoted(text: str) -> str:
    """A header value as a VCF quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _source_header_lines(matcher: SourceMatcher, settings: AnnotationSettings) -> list[str]:
    lines = []
    for source in matcher.sources():
        facts = {"Role": source.role, "Path": str(source.path), **describe_source(source)}
        described = ",".join(f"{key}={_quoted(str(value))}" for key, value in facts.items())
        lines.append(f"##labpipe_annotation_source=<{described}>")
    for panel in settings.panels:
        lines.append(
            f"##labpipe_panel=<Name={_quoted(panel.name)},Path={_quoted(str(panel.file))}>"
        )
    rules = settings.tiers
    lines.append(
        f"##labpipe_tiers=max_af:{rules.max_af:g},clinvar_min_stars:{rules.clinvar_min_stars},"
        f"lof:{'|'.join(sorted(rules.lof_consequences))},"
        f"other_coding:{'|'.join(sorted(rules.other_coding_consequences))}"
    )
    return lines
