"""Tests of the synthetic genome, genes, planted variants and effect prediction."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict

import numpy as np
import pytest

from labpipe.core.alleles import normalise_in
from labpipe.core.sequence import reverse_complement, translate
from labpipe.simulation.coding_effect import predict_effect
from labpipe.simulation.demo_variants import PlantedVariant, plant_variants
from labpipe.simulation.genome_build import build_genome
from labpipe.simulation.genome_model import (
    CONTIG_LENGTHS,
    Gene,
    GenomeModel,
    Transcript,
    gff3_lines,
    in_segments,
)

REQUIRED_CONSEQUENCES = {
    "missense",
    "synonymous",
    "stop_gained",
    "frameshift",
    "splice_acceptor",
    "splice_donor",
    "inframe_deletion",
}


@pytest.fixture(scope="module")
def model() -> GenomeModel:
    return build_genome(np.random.default_rng(11))


@pytest.fixture(scope="module")
def variants(model: GenomeModel) -> list[PlantedVariant]:
    return plant_variants(model, np.random.default_rng(12))


def _attrs(column9: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in column9.split(";"))


def test_every_transcript_in_the_gff3_is_an_orf_with_canonical_splice_sites(
    model: GenomeModel,
) -> None:
    # Rebuild each CDS from the GFF3 text itself, so the file (not the model) is checked.
    cds: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    exons: dict[str, list[tuple[int, int]]] = defaultdict(list)
    info: dict[str, tuple[str, str]] = {}
    for line in gff3_lines(model):
        if line.startswith("#"):
            continue
        chrom, _, kind, start, end, _, strand, phase, attrs = line.split("\t")
        a = _attrs(attrs)
        if kind in ("CDS", "exon"):
            tid = a["Parent"].removeprefix("transcript:")
            info[tid] = (chrom, strand)
            if kind == "CDS":
                cds[tid].append((int(start), int(end), int(phase)))
            else:
                exons[tid].append((int(start), int(end)))
    assert len(cds) == 8
    for tid, segs in cds.items():
        chrom, strand = info[tid]
        seq = model.contigs[chrom]
        ordered = sorted(segs, reverse=strand == "-")
        parts = [seq[s - 1 : e] for s, e, _ in ordered]
        coding = "".join(parts if strand == "+" else [reverse_complement(p) for p in parts])
        assert coding.startswith("ATG"), tid
        assert len(coding) % 3 == 0, tid
        protein = translate(coding)
        assert protein.endswith("*") and "*" not in protein[:-1], tid
        done = 0
        for s, e, phase in ordered:
            assert phase == (3 - done % 3) % 3, f"{tid}: wrong phase at {s}"
            done += e - s + 1
        ex = sorted(exons[tid])
        for (_, left_end), (right_start, _) in itertools.pairwise(ex):
            intron = seq[left_end : right_start - 1]
            if strand == "-":
                intron = reverse_complement(intron)
            assert intron[:2] == "GT" and intron[-2:] == "AG", f"{tid}: intron at {left_end}"


def test_gff3_has_the_ids_and_tags_bcftools_csq_needs(model: GenomeModel) -> None:
    genes, canonical = {}, defaultdict(int)
    for line in gff3_lines(model):
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        a = _attrs(fields[8])
        if fields[2] == "gene":
            assert re.fullmatch(r"gene:ENSG9\d{10}", a["ID"])
            assert a["biotype"] == "protein_coding"
            genes[a["ID"]] = a["Name"]
        elif fields[2] == "transcript":
            assert re.fullmatch(r"transcript:ENST9\d{10}", a["ID"])
            assert a["Parent"] in genes and a["biotype"] == "protein_coding"
            canonical[a["Parent"]] += "Ensembl_canonical" in a.get("tag", "")
    assert sorted(genes.values()) == [f"LPG{i}" for i in range(1, 7)]
    assert set(canonical.values()) == {1}


def test_genes_have_panel_like_structure_on_both_strands(model: GenomeModel) -> None:
    assert {g.strand for g in model.genes} == {"+", "-"}
    assert {g.contig for g in model.genes} == set(CONTIG_LENGTHS)
    for g in model.genes:
        t = g.canonical
        assert 4 <= len(t.exons) <= 9
        assert all(80 <= e - s <= 250 for s, e in t.exons), g.name
        assert all(300 <= e - s <= 2_000 for s, e in t.introns()), g.name


def test_targets_are_sorted_cds_plus_10bp_named_by_gene(model: GenomeModel) -> None:
    targets = model.targets()
    order = list(model.contigs)
    keys = [(order.index(t.contig), t.start) for t in targets]
    assert keys == sorted(keys)
    for g in model.genes:
        for s, e in g.canonical.cds_segments():
            assert in_segments(targets, g.contig, s - 10, e + 10)
            hit = next(t for t in targets if t.contig == g.contig and t.start <= s < t.end)
            assert hit.label == g.name and (hit.start, hit.end) == (s - 10, e + 10)


def test_reference_is_uppercase_with_gc_variation_and_repeats(model: GenomeModel) -> None:
    assert {c: len(s) for c, s in model.contigs.items()} == CONTIG_LENGTHS
    genome = "".join(model.contigs.values())
    assert set(genome) == set("ACGT")
    gc = [
        (w.count("G") + w.count("C")) / len(w)
        for w in (genome[i : i + 1_000] for i in range(0, len(genome), 1_000))
    ]
    assert min(gc) < 0.42 and max(gc) > 0.53
    assert re.search("A{10,}", genome) and re.search("T{10,}", genome)
    assert re.search("(?:CA){6,}|(?:AC){6,}|(?:AG){6,}|(?:TG){6,}", genome)


def test_segment_copies_are_near_identical_and_far_from_genes(model: GenomeModel) -> None:
    by_label = {r.label: r for r in model.repeats}
    assert len(by_label) == 6
    for n in (1, 2, 3):
        src, dst = by_label[f"segdup{n}_source"], by_label[f"segdup{n}_copy"]
        a = model.contigs[src.contig][src.start : src.end]
        b = model.contigs[dst.contig][dst.start : dst.end]
        divergence = sum(x != y for x, y in zip(a, b, strict=True)) / len(a)
        assert 0.005 < divergence < 0.04
    for r in model.repeats:
        for g in model.genes:
            if g.contig == r.contig:
                assert r.end + 3_000 <= g.start or g.end + 3_000 <= r.start


def _toy(strand: str) -> tuple[Transcript, str]:
    """A two-exon gene, MAKKED | PLQWRTV*, with a GT..AG intron between the exons."""
    exon1, exon2 = "ATGGCCAAGAAAGAGGAT", "CCACTGCAGTGGCGCACCGTTTAA"
    intron = "GTAAGT" + "A" * 20 + "TTTCTCTTTCAG"
    seq = "C" * 22 + exon1 + intron + exon2 + "G" * 22
    e1 = (22, 22 + len(exon1))
    e2 = (e1[1] + len(intron), e1[1] + len(intron) + len(exon2))
    if strand == "-":
        seq, n = reverse_complement(seq), len(seq)
        e1, e2 = (n - e2[1], n - e2[0]), (n - e1[1], n - e1[0])
    return Transcript("T", "P", "TOY-201", strand, (e1, e2), e1[0], e2[1], True), seq


def _edit(t: Transcript, seq: str, cds_index: int, ref_t: str, alt_t: str) -> tuple[int, str, str]:
    """A variant given in transcript orientation at a CDS index, as normalised genomic alleles."""
    positions = t.cds_positions()
    if t.strand == "+":
        return normalise_in(seq, positions[cds_index], ref_t, alt_t)
    last = positions[cds_index + len(ref_t) - 1]
    return normalise_in(seq, last, reverse_complement(ref_t), reverse_complement(alt_t))


@pytest.mark.parametrize("strand", ["+", "-"])
@pytest.mark.parametrize(
    ("index", "ref_t", "alt_t", "kind", "change", "hgvs"),
    [
        (30, "C", "A", "missense", "11R>11S", "p.Arg11Ser"),  # CGC>AGC
        (23, "G", "A", "synonymous", "8L", "p.Leu8="),  # CTG>CTA
        (24, "C", "T", "stop_gained", "9Q>9*", "p.Gln9Ter"),  # CAG>TAG
        (28, "G", "A", "stop_gained", "10W>10*", "p.Trp10Ter"),  # TGG>TAG
        (23, "GC", "G", "frameshift", "8LQWRTV*>8LSGAPF", "p.Gln9fs"),
        (8, "GAAA", "G", "inframe_deletion", "3KK>3K", "p.Lys4del"),  # 3' rule: Lys4
        (5, "C", "CAAG", "inframe_insertion", "2A>2AK", "p.Lys4dup"),
    ],
)
def test_predicted_effects_and_hgvs(
    strand: str, index: int, ref_t: str, alt_t: str, kind: str, change: str, hgvs: str
) -> None:
    t, seq = _toy(strand)
    assert translate(t.cds_sequence(seq)) == "MAKKEDPLQWRTV*"
    pos, ref, alt = _edit(t, seq, index, ref_t, alt_t)
    effect = predict_effect(t, seq, pos, ref, alt)
    assert effect is not None
    assert (effect.consequence, effect.hgvs_p) == (kind, hgvs)
    # csq's window starts at the codon of the left-aligned genomic allele, which for an
    # indel on the minus strand is its 3' end; HGVS does not depend on that.
    if strand == "+" or len(ref) == len(alt):
        assert effect.protein_change == change


@pytest.mark.parametrize("strand", ["+", "-"])
def test_essential_splice_sites_and_splice_region(strand: str) -> None:
    t, seq = _toy(strand)
    kinds = {}
    for kind, offset, pos in t.splice_sites():
        alt = "A" if seq[pos] != "A" else "C"
        effect = predict_effect(t, seq, pos, seq[pos], alt)
        assert effect is not None
        kinds[(kind, offset)] = effect
    assert {k: e.consequence for k, e in kinds.items()} == {
        ("donor", 1): "splice_donor",
        ("donor", 2): "splice_donor",
        ("acceptor", -1): "splice_acceptor",
        ("acceptor", -2): "splice_acceptor",
    }
    assert all(e.protein_change == "" and e.hgvs_p == "p.?" for e in kinds.values())
    donor_plus5 = t.introns()[0][0] + 4 if strand == "+" else t.introns()[0][1] - 5
    region = predict_effect(t, seq, donor_plus5, seq[donor_plus5], "C")
    assert region is not None and region.consequence == "splice_region"


def test_planted_variants_cover_every_required_class_on_both_strands(
    model: GenomeModel, variants: list[PlantedVariant]
) -> None:
    strands: dict[str, set[str]] = defaultdict(set)
    for v in variants:
        if v.effect is not None and v.gene is not None:
            strands[v.effect.consequence].add(v.gene.strand)
    assert set(strands) >= REQUIRED_CONSEQUENCES
    both = {"+", "-"}
    assert set().union(*(strands[c] for c in REQUIRED_CONSEQUENCES)) == both
    for kind in ("missense", "synonymous", "stop_gained", "splice_donor", "splice_acceptor"):
        assert strands[kind] == both, kind
    assert sum(v.tract != "" for v in variants) == len(model.genes)


def test_planted_variants_are_spaced_normalised_and_in_targets(
    model: GenomeModel, variants: list[PlantedVariant]
) -> None:
    targets = model.targets()
    inside = [v for v in variants if in_segments(targets, v.contig, v.pos, v.end)]
    assert 40 <= len(inside) <= 60
    assert all(v.effect is not None for v in inside)
    for v in variants:
        assert normalise_in(model.contigs[v.contig], v.pos, v.ref, v.alt) == (v.pos, v.ref, v.alt)
        assert model.contigs[v.contig][v.pos : v.end] == v.ref
        assert not any(
            r.contig == v.contig and r.start - 1_000 < v.pos < r.end + 1_000 for r in model.repeats
        )
    for a, b in itertools.pairwise(variants):
        if a.contig == b.contig:
            assert b.pos - a.end >= 30, (a, b)
    indel_sizes = {abs(len(v.alt) - len(v.ref)) for v in variants if len(v.ref) != len(v.alt)}
    assert min(indel_sizes) == 1 and max(indel_sizes) == 10


def test_genotypes_mix_shared_private_het_and_hom(variants: list[PlantedVariant]) -> None:
    gts = [(v.genotype(0), v.genotype(1)) for v in variants]
    assert all(gt != ("0/0", "0/0") for gt in gts)
    assert any("0/0" not in gt for gt in gts)  # shared
    assert any(gt[0] == "0/0" for gt in gts) and any(gt[1] == "0/0" for gt in gts)
    for sample in (0, 1):
        called = {gt[sample] for gt in gts}
        assert {"0/1", "1/1"} <= called


def test_same_seed_same_genome_and_variants() -> None:
    a = build_genome(np.random.default_rng(5))
    b = build_genome(np.random.default_rng(5))
    assert a.contigs == b.contigs
    va = plant_variants(a, np.random.default_rng(6))
    vb = plant_variants(b, np.random.default_rng(6))
    assert [(v.contig, v.pos, v.ref, v.alt, v.haplotypes) for v in va] == [
        (v.contig, v.pos, v.ref, v.alt, v.haplotypes) for v in vb
    ]


def test_isoform_skips_an_in_frame_exon(model: GenomeModel) -> None:
    with_isoform: list[Gene] = [g for g in model.genes if len(g.transcripts) == 2]
    assert {g.name for g in with_isoform} == {"LPG3", "LPG5"}
    for g in with_isoform:
        main, alt = g.transcripts
        skipped = set(main.exons) - set(alt.exons)
        assert len(skipped) == 1
        s, e = skipped.pop()
        assert (e - s) % 3 == 0
        assert not alt.canonical
