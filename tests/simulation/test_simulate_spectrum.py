"""Tests of labpipe.simulation.variant_spectrum: the planted spectrum, repeats, VCF input."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest

from labpipe.core.alleles import normalise
from labpipe.core.errors import InputFormatError
from labpipe.simulation.truth_variants import (
    TRANSITIONS,
    Segment,
    TruthVariant,
    summarise,
    variants_from_vcf,
)
from labpipe.simulation.variant_spectrum import (
    SpectrumConfig,
    find_repeats,
    indel_length_weights,
    plant_variants,
)

LENGTH = 400_000


def genome(seed: int = 3) -> str:
    """Random sequence with homopolymers and STRs sprinkled in, as real genomes have."""
    rng = random.Random(seed)
    bases = [rng.choice("ACGT") for _ in range(LENGTH)]
    for _ in range(LENGTH // 800):
        pos = rng.randrange(LENGTH - 40)
        if rng.random() < 0.5:
            bases[pos : pos + rng.randint(6, 14)] = rng.choice("ACGT") * rng.randint(6, 14)
        else:
            unit = "".join(rng.choice("ACGT") for _ in range(rng.randint(2, 4)))
            bases[pos : pos + 0] = list(unit * rng.randint(4, 8))
    return "".join(bases)[:LENGTH]


SEQ = genome()
SEGMENT = Segment("chrS", 0, LENGTH)
DENSE = SpectrumConfig(variant_rate=5e-3)


def sequence_of(segment: Segment) -> str:
    return SEQ[segment.start : segment.end]


@pytest.fixture(scope="module")
def planted() -> list[TruthVariant]:
    return plant_variants([SEGMENT], sequence_of, DENSE, np.random.default_rng(1))


def test_number_of_sites_follows_the_rate(planted: list[TruthVariant]) -> None:
    expected = DENSE.variant_rate * (LENGTH - 2 * DENSE.edge_margin)
    assert abs(len(planted) - expected) / expected < 0.02


def test_ref_alleles_are_the_reference_and_sites_do_not_touch(
    planted: list[TruthVariant],
) -> None:
    for v in planted:
        assert SEQ[v.pos : v.end] == v.ref, v
        assert all(alt != v.ref for alt in v.alts)
    for a, b in itertools.pairwise(planted):
        assert a.end < b.pos, (a, b)


def test_snv_transitions_are_twice_transversions(planted: list[TruthVariant]) -> None:
    summary = summarise(planted)
    assert 1.8 <= summary.ts_tv <= 2.3


def test_indels_are_a_sixth_more_deletions_and_short(planted: list[TruthVariant]) -> None:
    summary = summarise(planted)
    indels = summary.insertions + summary.deletions
    assert 0.12 <= indels / summary.sites <= 0.19
    assert summary.deletions > 1.2 * summary.insertions
    sizes = [abs(len(a) - len(v.ref)) for v in planted for a in v.alts if len(a) != len(v.ref)]
    assert min(sizes) == 1 and max(sizes) <= 20
    assert sizes.count(1) == max(sizes.count(n) for n in set(sizes))


def test_about_sixty_percent_het(planted: list[TruthVariant]) -> None:
    summary = summarise(planted)
    assert 0.55 <= summary.het / summary.sites <= 0.66
    phases = {v.haplotypes for v in planted if v.is_het and len(v.alts) == 1}
    assert phases == {(1, 0), (0, 1)}


def test_indels_are_enriched_in_homopolymers_and_strs(planted: list[TruthVariant]) -> None:
    repeats = find_repeats("chrS", SEQ)
    in_repeat_bases = sum(r.end - r.start for r in repeats) / LENGTH
    summary = summarise(planted)
    share = summary.indels_in_repeats / (summary.insertions + summary.deletions)
    assert in_repeat_bases < 0.1
    assert share > 0.4 > 4 * in_repeat_bases
    # A repeat indel changes whole units of its tract.
    for v in planted:
        if v.context == "str" and len(v.alts) == 1:
            tract = next(r for r in repeats if r.start == v.pos + 1)
            assert abs(len(v.alts[0]) - len(v.ref)) % len(tract.unit) == 0


def test_homopolymer_indels_are_mostly_one_base(planted: list[TruthVariant]) -> None:
    sizes = [
        abs(len(v.alts[0]) - len(v.ref))
        for v in planted
        if v.context == "homopolymer" and len(v.alts) == 1
    ]
    assert len(sizes) > 30
    assert sizes.count(1) / len(sizes) > 0.5
    assert max(sizes) <= 4


def test_a_few_multiallelic_sites(planted: list[TruthVariant]) -> None:
    multi = [v for v in planted if len(v.alts) == 2]
    assert 0 < len(multi) <= 0.03 * len(planted)
    assert all(v.haplotypes in ((1, 2), (2, 1)) for v in multi)


def test_indels_are_left_aligned(planted: list[TruthVariant]) -> None:
    def fetch(start: int, end: int) -> str:
        return SEQ[start:end]

    for v in planted:
        for alt in v.alts:
            assert normalise("chr", v.pos + 1, v.ref, alt, fetch).pos == v.pos + 1, v


def test_same_seed_same_variants_other_seed_others() -> None:
    first = plant_variants([SEGMENT], sequence_of, DENSE, np.random.default_rng(5))
    again = plant_variants([SEGMENT], sequence_of, DENSE, np.random.default_rng(5))
    other = plant_variants([SEGMENT], sequence_of, DENSE, np.random.default_rng(6))
    assert first == again
    assert first != other


def test_segment_edges_are_kept_clear() -> None:
    config = SpectrumConfig(variant_rate=5e-3, edge_margin=1_000)
    short = Segment("chrS", 10_000, 30_000)
    variants = plant_variants([short], sequence_of, config, np.random.default_rng(2))
    assert variants
    assert all(v.pos >= 11_000 and v.end <= 29_000 for v in variants)
    too_small = Segment("chrS", 0, 1_500)
    assert plant_variants([too_small], sequence_of, config, np.random.default_rng(2)) == []


def test_find_repeats() -> None:
    seq = "GT" + "A" * 7 + "GC" + "CAG" * 4 + "T" + "ACACAC" + "TGC"
    repeats = find_repeats("c", seq, offset=100)
    assert [(r.start, r.end, r.unit, r.kind) for r in repeats] == [
        (102, 109, "A", "homopolymer"),
        (111, 123, "CAG", "str"),
    ]  # ACACAC (6 bases) is too short to count


def test_indel_length_weights() -> None:
    weights = indel_length_weights(20)
    assert weights.sum() == pytest.approx(1.0)
    assert 0.45 < weights[0] < 0.55
    assert all(a > b for a, b in itertools.pairwise(weights))


def test_transitions_table() -> None:
    assert {b + TRANSITIONS[b] for b in "ACGT"} == {"AG", "GA", "CT", "TC"}


# --- variants taken from a VCF -----------------------------------------------------------


def write_vcf(path: Path, rows: list[str], samples: tuple[str, ...] = ("S",)) -> Path:
    header = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID=chrS,length={LENGTH}>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"])
        + "".join(f"\t{s}" for s in samples),
    ]
    path.write_text("\n".join(header + rows) + "\n")
    return path


def snv_row(pos: int, gt: str) -> str:
    ref = SEQ[pos - 1]
    alt = "ACGT"[("ACGT".index(ref) + 1) % 4]
    return f"chrS\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT\t{gt}"


def test_variants_from_vcf_keep_phase_and_skip_what_does_not_fit(tmp_path: Path) -> None:
    deletion = f"chrS\t2000\t.\t{SEQ[1999:2003]}\t{SEQ[1999]}\t.\tPASS\t.\tGT\t1|1"
    rows = [
        snv_row(1000, "0|1"),
        snv_row(1500, "0/0"),  # not carried
        deletion,
        snv_row(2001, "0/1"),  # inside the deletion: overlaps, skipped
        "chrS\t3000\t.\tA\t<DEL>\t.\tPASS\t.\tGT\t0/1",  # symbolic: skipped
        snv_row(390_000, "1/1"),  # outside the segment
    ]
    vcf = write_vcf(tmp_path / "given.vcf", rows)
    segment = Segment("chrS", 0, 300_000)
    variants, skipped = variants_from_vcf(
        vcf, [segment], sequence_of, None, np.random.default_rng(0)
    )
    assert [(v.pos, v.haplotypes, v.kind) for v in variants] == [
        (999, (0, 1), "snv"),
        (1999, (1, 1), "deletion"),
    ]
    assert skipped == 4


def test_variants_from_vcf_reject_another_reference(tmp_path: Path) -> None:
    ref = SEQ[999]
    wrong = "ACGT"[("ACGT".index(ref) + 1) % 4]
    vcf = write_vcf(tmp_path / "bad.vcf", [f"chrS\t1000\t.\t{wrong}\t{ref}\t.\tPASS\t.\tGT\t0/1"])
    with pytest.raises(InputFormatError, match=r"bad\.vcf: record 1 \(chrS:1000\) has REF"):
        variants_from_vcf(vcf, [SEGMENT], sequence_of, None, np.random.default_rng(0))


def test_variants_from_vcf_name_the_missing_sample(tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "two.vcf", [snv_row(1000, "0/1\t1/1")], samples=("A", "B"))
    variants, _ = variants_from_vcf(vcf, [SEGMENT], sequence_of, "B", np.random.default_rng(0))
    assert variants[0].haplotypes == (1, 1)
    with pytest.raises(InputFormatError, match=r"no sample column 'C' \(it has: A, B\)"):
        variants_from_vcf(vcf, [SEGMENT], sequence_of, "C", np.random.default_rng(0))
