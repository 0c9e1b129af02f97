"""Synthetic annotation sources for the demo data, so the demo report shows every tier.

Written from the demo's planted variants (``truth.vcf.gz``), its GFF3 and its
reference, deterministically (same bytes on every run):

* ``clinvar.vcf.gz`` (+ ``.tbi``): ClinVar-style records (CLNSIG, CLNREVSTAT,
  CLNDN, GENEINFO) with contigs named ``1``, ``2``, ``3`` as ClinVar names
  them, while the reference says ``chr1``: the pipeline must map the names.
  Five planted variants are pathogenic or likely pathogenic (tier 1): one of
  them in the gene left out of the panel, one written at the 3' end of its
  repeat and one with padding bases (both un-normalised, so matching must
  normalise). A pathogenic record with another ALT at a planted missense
  site must *not* match; other planted variants are conflicting, uncertain or
  benign.
* ``population_af.vcf.gz`` (+ ``.tbi``): gnomAD-style AF, AF_sas and AF_nfe,
  contigs named like the reference. Intergenic variants are common; one
  panel missense is common everywhere and one only in South Asians (both
  tier 4); one planted missense sits in a multi-allelic record whose other
  ALT is common; one record lacks AF_sas.
* ``panel_genes.txt``: every demo gene but the last, so a loss-of-function
  call outside the panel falls to tier 4 while a ClinVar-pathogenic one
  there stays tier 1.

Everything here is invented; none of it is real ClinVar or gnomAD data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pysam

from labpipe.annotation.tiers import DEFAULT_LOF
from labpipe.annotation.transcripts import TranscriptModel, load_transcripts
from labpipe.core.alleles import right_align
from labpipe.simulation.demo_sources import (
    ClinVarEntry,
    Planted,
    write_clinvar,
    write_population,
)

CLINVAR_NAME = "clinvar.vcf.gz"
POPULATION_NAME = "population_af.vcf.gz"
PANEL_NAME = "panel_genes.txt"


@dataclass
class DemoAnnotation:
    """What was written, by role, for tests and the data README.

    Attributes:
        clinvar: The ClinVar records.
        common: Planted variants given a common AF (tier 4 by frequency).
        panel: The panel's genes.
    """

    clinvar: list[ClinVarEntry] = field(default_factory=list)
    common: list[Planted] = field(default_factory=list)
    panel: list[str] = field(default_factory=list)


def _planted(truth: Path, models: dict[str, TranscriptModel]) -> list[Planted]:
    spans: dict[str, tuple[str, int, int]] = {}
    for model in models.values():
        chrom, start, end = spans.get(model.gene_name, (model.chrom, model.start, model.end))
        spans[model.gene_name] = (chrom, min(start, model.start), max(end, model.end))
    variants = []
    with pysam.VariantFile(str(truth)) as vcf:
        samples = list(vcf.header.samples)
        for record in vcf:
            gene = next(
                (g for g, (c, s, e) in spans.items() if c == record.chrom and s <= record.pos <= e),
                "",
            )
            genotypes = []
            for sample in samples:
                gt = record.samples[sample]["GT"]
                genotypes.append("/".join("." if a is None else str(a) for a in gt))
            assert record.alts is not None and record.ref is not None
            variants.append(
                Planted(
                    chrom=record.chrom,
                    pos=record.pos,
                    ref=record.ref,
                    alt=record.alts[0],
                    consequence=str(record.info.get("PLANTED", "")),
                    tract=str(record.info.get("TRACT", "") or ""),
                    gene=gene,
                    genotypes=tuple(genotypes),
                )
            )
    return variants


def _right_shifted(fasta: pysam.FastaFile, v: Planted) -> tuple[int, str, str]:
    """The indel written at the 3' end of its repeat (as HGVS would place it)."""
    return right_align(v.pos, v.ref, v.alt, lambda start, end: fasta.fetch(v.chrom, start, end))


def _padded(fasta: pysam.FastaFile, v: Planted) -> tuple[int, str, str]:
    """The variant with one extra reference base on each side."""
    before = fasta.fetch(v.chrom, v.pos - 2, v.pos - 1).upper()
    after = fasta.fetch(v.chrom, v.pos - 1 + len(v.ref), v.pos + len(v.ref)).upper()
    return v.pos - 1, before + v.ref + after, before + v.alt + after


def _first(
    variants: Sequence[Planted], used: set[tuple[str, int, str, str]], **wanted: object
) -> Planted:
    """The first unused variant with the wanted properties; carriers counted, most first."""
    candidates = [
        v
        for v in variants
        if v.key not in used
        and all(
            (getattr(v, name) in value) if isinstance(value, tuple) else getattr(v, name) == value
            for name, value in wanted.items()
        )
    ]
    if not candidates:
        raise ValueError(f"the demo truth has no unused planted variant with {wanted}")
    chosen = sorted(candidates, key=lambda v: -v.carriers)[0]
    used.add(chosen.key)
    return chosen


def write_demo_annotation(
    truth_vcf: Path, gff3: Path, reference: Path, outdir: Path
) -> DemoAnnotation:
    """Write the demo's ClinVar-style VCF, population-AF VCF and panel gene list.

    Args:
        truth_vcf: The planted variants (``truth.vcf.gz``, with PLANTED and TRACT).
        gff3: The demo genes.
        reference: The demo reference FASTA (indexed or indexable).
        outdir: Where to write (normally ``test_data``).

    Returns:
        What was written, by role.
    """
    models = load_transcripts(gff3)
    genes = list(dict.fromkeys(m.gene_name for m in models.values()))
    panel = genes[:-1]
    outside = genes[-1]
    variants = _planted(truth_vcf, models)
    result = DemoAnnotation(panel=panel)
    used: set[tuple[str, int, str, str]] = set()
    in_panel = tuple(panel)

    def condition(gene: str) -> str:
        return f"{gene}-related_disorder_(synthetic_demo)|not_provided"

    with pysam.FastaFile(str(reference)) as fasta:
        lengths = dict(zip(fasta.references, fasta.lengths, strict=True))
        clinvar: list[ClinVarEntry] = []

        def assert_(
            v: Planted,
            significance: str,
            status: str,
            where: tuple[int, str, str],
            same_allele: bool = True,
        ) -> None:
            fields = {
                "CLNSIG": significance,
                "CLNREVSTAT": status,
                "CLNDN": condition(v.gene),
                "GENEINFO": f"{v.gene}:9{genes.index(v.gene) + 1:04d}",
            }
            clinvar.append(ClinVarEntry(v, *where, fields, same_allele))

        stop = _first(variants, used, consequence="stop_gained", gene=in_panel)
        assert_(stop, "Pathogenic", "reviewed_by_expert_panel", (stop.pos, stop.ref, stop.alt))
        donor = _first(variants, used, consequence="splice_donor", gene=in_panel)
        assert_(
            donor,
            "Likely_pathogenic",
            "criteria_provided,_single_submitter",
            (donor.pos, donor.ref, donor.alt),
        )
        far = _first(variants, used, consequence=DEFAULT_LOF, gene=outside, homozygous=True)
        assert_(
            far,
            "Pathogenic/Likely_pathogenic",
            "criteria_provided,_multiple_submitters,_no_conflicts",
            (far.pos, far.ref, far.alt),
        )
        repeat = next(
            v
            for v in variants
            if v.key not in used
            and v.consequence == "frameshift"
            and v.tract
            and v.gene in panel
            and v.homozygous
            and _right_shifted(fasta, v)[0] != v.pos
        )
        used.add(repeat.key)
        assert_(
            repeat,
            "Pathogenic",
            "criteria_provided,_multiple_submitters,_no_conflicts",
            _right_shifted(fasta, repeat),
        )
        padded = next(
            v
            for v in variants
            if v.key not in used
            and v.consequence == "frameshift"
            and not v.tract
            and v.gene in panel
            and len(v.ref) > len(v.alt)
            and v.homozygous
        )
        used.add(padded.key)
        assert_(padded, "Pathogenic", "criteria_provided,_single_submitter", _padded(fasta, padded))
        decoy = _first(variants, used, consequence="missense", gene=in_panel)
        other_alt = next(b for b in "ACGT" if b not in (decoy.ref.upper(), decoy.alt.upper()))
        assert_(
            decoy,
            "Pathogenic",
            "criteria_provided,_single_submitter",
            (decoy.pos, decoy.ref, other_alt),
            same_allele=False,
        )
        conflicting = _first(variants, used, consequence="missense", gene=in_panel)
        assert_(
            conflicting,
            "Conflicting_classifications_of_pathogenicity",
            "criteria_provided,_conflicting_classifications",
            (conflicting.pos, conflicting.ref, conflicting.alt),
        )
        uncertain = _first(variants, used, consequence="missense", gene=in_panel)
        assert_(
            uncertain,
            "Uncertain_significance",
            "criteria_provided,_single_submitter",
            (uncertain.pos, uncertain.ref, uncertain.alt),
        )
        benign = _first(variants, used, consequence="synonymous", gene=in_panel)
        assert_(
            benign,
            "Benign",
            "criteria_provided,_multiple_submitters,_no_conflicts",
            (benign.pos, benign.ref, benign.alt),
        )

        # Population frequencies: (pos, ref, alts, {field: values}) per planted variant.
        common = _first(variants, used, consequence="missense", gene=in_panel)
        south_asian = _first(variants, used, consequence="missense", gene=in_panel)
        multi = _first(variants, used, consequence="missense", gene=in_panel)
        no_sas = _first(variants, used, consequence="splice_acceptor", gene=in_panel)
        result.common = [common, south_asian]
        population: list[tuple[str, int, str, list[str], dict[str, list[str]]]] = []
        pathogenic = {entry.planted.key for entry in clinvar if entry.pathogenic}
        for v in variants:
            rare = f"{(v.pos % 9 + 1) * 1.1e-5:.3g}"
            if v.key in pathogenic:
                continue  # absent from the population: rare by absence
            if v is common:
                population.append(
                    (
                        v.chrom,
                        v.pos,
                        v.ref,
                        [v.alt],
                        {"AF": ["0.052"], "AF_sas": ["0.083"], "AF_nfe": ["0.047"]},
                    )
                )
            elif v is south_asian:
                population.append(
                    (
                        v.chrom,
                        v.pos,
                        v.ref,
                        [v.alt],
                        {"AF": ["0.0009"], "AF_sas": ["0.021"], "AF_nfe": ["0.00002"]},
                    )
                )
            elif v is multi:
                other = next(b for b in "ACGT" if b not in (v.ref.upper(), v.alt.upper()))
                population.append(
                    (
                        v.chrom,
                        v.pos,
                        v.ref,
                        [other, v.alt],
                        {
                            "AF": ["0.12", "4e-05"],
                            "AF_sas": ["0.15", "0.00012"],
                            "AF_nfe": ["0.11", "0"],
                        },
                    )
                )
            elif v is no_sas:
                population.append(
                    (
                        v.chrom,
                        v.pos,
                        v.ref,
                        [v.alt],
                        {"AF": [rare], "AF_sas": ["."], "AF_nfe": [rare]},
                    )
                )
            elif v.consequence == "intergenic":
                population.append(
                    (
                        v.chrom,
                        v.pos,
                        v.ref,
                        [v.alt],
                        {"AF": ["0.25"], "AF_sas": ["0.31"], "AF_nfe": ["0.22"]},
                    )
                )
            elif v.consequence == "synonymous":
                population.append(
                    (
                        v.chrom,
                        v.pos,
                        v.ref,
                        [v.alt],
                        {"AF": ["0.0061"], "AF_sas": ["0.0089"], "AF_nfe": ["0.0052"]},
                    )
                )
            else:
                population.append(
                    (
                        v.chrom,
                        v.pos,
                        v.ref,
                        [v.alt],
                        {"AF": [rare], "AF_sas": [rare], "AF_nfe": [rare]},
                    )
                )

    outdir.mkdir(parents=True, exist_ok=True)
    write_clinvar(outdir / CLINVAR_NAME, clinvar, lengths)
    write_population(outdir / POPULATION_NAME, population, lengths)
    (outdir / PANEL_NAME).write_text(
        "# labpipe demo gene panel (synthetic genes, not human genes).\n"
        f"# {outside} is left out on purpose: its loss-of-function calls fall to tier 4,\n"
        "# while a ClinVar-pathogenic variant there stays tier 1.\n" + "\n".join(panel) + "\n"
    )
    result.clinvar = clinvar
    return result
