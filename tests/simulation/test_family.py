"""``labpipe simulate --family``: the family's truth holds together, and the reads match it.

Every check reads the files the simulation wrote (truth VCFs, inheritance and identity
tables, FASTQs), not its internals, so it tests what a user or a benchmark would use.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pysam
import pytest

from labpipe.core.sequence import reverse_complement
from labpipe.simulation.family import FamilyRequest, SimulatedFamily, simulate_family
from labpipe.simulation.family_files import ROH_MIN_LENGTH_BP, ROH_MIN_MARKERS
from labpipe.simulation.read_simulator import LibraryConfig
from tests.builders import run_cli

Genotypes = dict[tuple[str, int, str, str], tuple[int, ...]]


@pytest.fixture(scope="module")
def quad(tmp_path_factory: pytest.TempPathFactory) -> SimulatedFamily:
    """A consanguineous quad with recombination, a 10% contaminated proband and a sibling
    whose file holds an unrelated person's reads; 12x keeps it to a few seconds."""
    return simulate_family(
        FamilyRequest(
            tmp_path_factory.mktemp("quad") / "fam",
            "quad",
            seed=7,
            consanguineous=True,
            recombination=True,
            swap=("sibling", "unrelated"),
            contaminate=("proband", 0.10),
            library=LibraryConfig(depth=12),
        )
    )


def _genotypes(path: Path) -> Genotypes:
    with pysam.VariantFile(str(path)) as vcf:
        return {
            (r.chrom, r.pos, r.ref or "", (r.alts or ("",))[0]): tuple(
                a or 0 for a in r.samples[0]["GT"]
            )
            for r in vcf
        }


def _truth(fam: SimulatedFamily) -> dict[str, Genotypes]:
    return {
        p.name: _genotypes(fam.outdir / "truth" / f"{p.name}.vcf.gz") for p in fam.family.people
    }


def _rows(path: Path) -> list[dict[str, str]]:
    header, *lines = path.read_text().splitlines()
    return [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines]


def test_every_planted_variant_follows_its_model(quad: SimulatedFamily) -> None:
    truth = _truth(quad)
    planted = [r for r in _rows(quad.outdir / "truth" / "inheritance.tsv") if r["planted"] == "yes"]
    assert sorted(r["model"] for r in planted) == sorted(
        ["de_novo"] * 3 + ["comp_het"] * 2 + ["hom_recessive", "x_linked"]
    )

    def gt(role: str, row: dict[str, str]) -> tuple[int, ...]:
        key = (row["chrom"], int(row["pos"]), row["ref"], row["alt"])
        person = quad.family.person(role)
        ploidy = len(person.haplotypes[row["chrom"]])
        return truth[person.name].get(key, (0,) * ploidy)

    from_father = from_mother = 0
    for row in planted:
        child, dad, mum = gt("proband", row), gt("father", row), gt("mother", row)
        if row["model"] == "de_novo":
            assert (sum(child), sum(dad), sum(mum)) == (1, 0, 0), row
        elif row["model"] == "hom_recessive":
            assert (child, sum(dad), sum(mum)) == ((1, 1), 1, 1), row
        elif row["model"] == "x_linked":
            assert (row["chrom"], child, dad, sum(mum)) == ("chrX", (1,), (0,), 1), row
        else:
            assert sum(child) == 1 and sum(dad) + sum(mum) == 1, row
            from_father += sum(dad)
            from_mother += sum(mum)
    assert (from_father, from_mother) == (1, 1)
    assert len({r["gene"] for r in planted if r["model"] == "comp_het"}) == 1


def test_every_genotype_is_mendelian_except_de_novo(quad: SimulatedFamily) -> None:
    truth = _truth(quad)
    de_novo = {
        (r["chrom"], int(r["pos"]), r["ref"], r["alt"])
        for r in _rows(quad.outdir / "truth" / "inheritance.tsv")
        if r["model"] == "de_novo"
    }
    father, mother = quad.family.person("father"), quad.family.person("mother")
    sites = set().union(*truth.values())
    checked = errors = 0
    for child in (quad.family.person("proband"), quad.family.person("sibling")):
        for key in sites:
            contig = key[0]
            kid = truth[child.name].get(key, (0,) * len(child.haplotypes[contig]))
            dad = truth[father.name].get(key, (0,) * len(father.haplotypes[contig]))
            mum = truth[mother.name].get(key, (0,) * len(mother.haplotypes[contig]))
            if len(kid) == 1:  # a son's X comes from his mother
                ok = kid[0] in mum
            else:
                ok = any(a in dad and b in mum for a, b in (kid, kid[::-1]))
            checked += 1
            if not ok:
                errors += 1
                assert key in de_novo and child.role == "proband", (child.name, key, kid, dad, mum)
    assert checked > 1_000
    assert errors == 3  # the planted de novo variants, nothing else


def test_consanguineous_proband_is_homozygous_over_a_long_segment(quad: SimulatedFamily) -> None:
    proband = quad.family.person("proband")
    runs = [
        line.split("\t")
        for line in (quad.outdir / "truth" / "roh.bed").read_text().splitlines()
        if line.endswith(proband.name)
    ]
    contig, start, end = runs[0][0], int(runs[0][1]), int(runs[0][2])
    assert end - start >= ROH_MIN_LENGTH_BP
    inside = {
        k: v
        for k, v in _truth(quad)[proband.name].items()
        if k[0] == contig and start < k[1] <= end
    }
    assert all(gt == (1, 1) for gt in inside.values())
    assert len(inside) >= ROH_MIN_MARKERS
    planted = [
        r for r in _rows(quad.outdir / "truth" / "inheritance.tsv")
        if r["planted"] == "yes" and r["model"] == "hom_recessive"
    ]  # fmt: skip
    assert planted and start < int(planted[0]["pos"]) <= end and planted[0]["chrom"] == contig


def test_recombination_makes_mosaic_haplotypes(quad: SimulatedFamily) -> None:
    family = quad.family
    father, mother = family.person("father"), family.person("mother")
    mosaics = 0
    for child in (family.person("proband"), family.person("sibling")):
        for contig, copies in child.haplotypes.items():
            if len(copies) == 2:  # paternal, maternal
                for copy, parent in zip(copies, (father, mother), strict=True):
                    mosaics += copy not in parent.haplotypes[contig]
    assert mosaics >= 2  # transmitted copies that are neither of the parent's two


def _reads(path: Path) -> Iterator[str]:
    with gzip.open(path, "rt") as fh:
        for number, line in enumerate(fh):
            if number % 4 == 1:
                yield line.strip()


def _foreign_share(fam: SimulatedFamily, sample: str, own: str, other: str) -> float:
    """Share of the reads in ``sample``'s FASTQ pair that come from ``other``, measured at
    SNVs ``own`` lacks and ``other`` carries: reads showing the ALT (its 31-mer) over the
    reads there, each site weighted by the share of ``other``'s copies carrying it."""
    truth = _truth(fam)
    reference = pysam.FastaFile(str(fam.outdir / "reference.fa"))
    seen: dict[str, int] = {}
    for contig in reference.references:
        seq = reference.fetch(contig).upper()
        for i in range(len(seq) - 30):
            seen[seq[i : i + 31]] = seen.get(seq[i : i + 31], 0) + 1
    everyone = set().union(*truth.values())
    probes: dict[str, tuple[int, str]] = {}
    shares: list[float] = []
    for key, gt in truth[other].items():
        chrom, pos, ref, alt = key
        near = [k for k in everyone if k[0] == chrom and abs(k[1] - pos) <= 36 and k != key]
        if len(ref) != 1 or len(alt) != 1 or key in truth[own] or near:
            continue
        left = reference.fetch(chrom, pos - 16, pos - 1)
        right = reference.fetch(chrom, pos, pos + 15)
        if seen.get(left + ref + right, 0) != 1:
            continue  # also in a duplicated segment
        for allele, kmer in (("alt", left + alt + right), ("ref", left + ref + right)):
            probes[kmer] = probes[reverse_complement(kmer)] = (len(shares), allele)
        shares.append(sum(gt) / len(gt))
    alt = [0] * len(shares)
    total = [0] * len(shares)
    fq = fam.reads[sample]
    for path in (fq.fq1, fq.fq2):
        for read in _reads(path):
            for i in range(len(read) - 30):
                hit = probes.get(read[i : i + 31])
                if hit:
                    total[hit[0]] += 1
                    alt[hit[0]] += hit[1] == "alt"
    assert sum(total) > 500, sum(total)
    return sum(alt) / sum(t * share for t, share in zip(total, shares, strict=True))


def test_contaminated_sample_holds_the_chosen_share_of_another_persons_reads(
    quad: SimulatedFamily,
) -> None:
    proband, father = quad.family.person("proband").name, quad.family.person("father").name
    unrelated = quad.family.person("unrelated").name
    assert _foreign_share(quad, proband, proband, unrelated) == pytest.approx(0.10, abs=0.03)
    assert _foreign_share(quad, father, father, unrelated) < 0.01
    identity = {r["sample"]: r for r in _rows(quad.outdir / "truth" / "identity.tsv")}
    assert identity[proband]["contaminant"] == unrelated
    assert identity[proband]["contamination_fraction"] == "0.1"


def test_swapped_sample_file_holds_the_other_persons_reads(quad: SimulatedFamily) -> None:
    sibling = quad.family.person("sibling").name
    unrelated = quad.family.person("unrelated").name
    # Every read of the file named after the sibling is the unrelated person's.
    assert _foreign_share(quad, sibling, sibling, unrelated) == pytest.approx(1.0, abs=0.03)
    identity = {r["sample"]: r for r in _rows(quad.outdir / "truth" / "identity.tsv")}
    assert identity[sibling]["reads_from"] == unrelated
    assert "swap" in identity[sibling]["note"]


def test_sample_sheet_has_the_pedigree_columns(quad: SimulatedFamily) -> None:
    rows = {r["sample"]: r for r in _rows(quad.outdir / "samples.tsv")}
    proband = rows["FAM1-proband"]
    assert (proband["family"], proband["father"], proband["mother"]) == (
        "FAM1", "FAM1-father", "FAM1-mother"
    )  # fmt: skip
    assert (proband["sex"], proband["affected"]) == ("male", "yes")
    assert (rows["FAM1-father"]["father"], rows["FAM1-mother"]["affected"]) == ("0", "no")
    assert "FAM1-unrelated" not in rows
    ped = (quad.outdir / "family.ped").read_text().splitlines()
    assert "FAM1\tFAM1-proband\tFAM1-father\tFAM1-mother\t1\t2" in ped


def test_written_config_loads(quad: SimulatedFamily) -> None:
    from labpipe.config.settings import load_config

    lab = load_config(quad.config)
    assert lab.annotation.roh.min_length_bp == ROH_MIN_LENGTH_BP


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    def run(out: Path, seed: int) -> dict[str, bytes]:
        simulate_family(FamilyRequest(out, "trio", seed=seed, library=LibraryConfig(depth=1)))
        return {
            str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
        }

    first = run(tmp_path / "a", 3)
    assert first == run(tmp_path / "b", 3)
    assert first["truth/inheritance.tsv"] != run(tmp_path / "c", 4)["truth/inheritance.tsv"]


def test_cli_family(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fam"
    code, stdout, _ = run_cli(
        ["simulate", "--family", "trio", "--outdir", str(out), "--depth", "1", "--seed", "5"],
        capsys,
    )
    assert code == 0
    assert "FAM1-proband" in stdout and f"labpipe run {out / 'config.yaml'}" in stdout
    assert (out / "truth" / "inheritance.tsv").is_file()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--swap", "father,mother"], "only with --family"),
        (["--family", "trio", "--swap", "sibling,father"], "--swap sibling,father"),
        (["--family", "trio", "--contaminate", "proband:1.5"], "fraction between 0 and 1"),
        (["--family", "quad", "--contaminate", "nobody:0.1"], "--contaminate nobody"),
        (["--family", "trio", "--reference", "x.fa", "--sample", "S"], "--sample: not used"),
    ],
)
def test_cli_family_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    code, _, stderr = run_cli(["simulate", "--outdir", str(tmp_path / "o"), *args], capsys)
    assert code == 2
    assert says in stderr


def test_families_of_one_seed_share_the_genome_not_the_people(tmp_path: Path) -> None:
    """So that two families can be one batch (unrelated pairs across them)."""
    made = {
        family_id: simulate_family(
            FamilyRequest(tmp_path / family_id, "trio", seed=3, family_id=family_id,
                          library=LibraryConfig(depth=1))
        ).outdir
        for family_id in ("FAM1", "FAM2")
    }  # fmt: skip
    for name in ("reference.fa", "genes.gff3", "population_af.vcf.gz"):
        assert (made["FAM1"] / name).read_bytes() == (made["FAM2"] / name).read_bytes()
    fathers = [_genotypes(made[f] / "truth" / f"{f}-father.vcf.gz") for f in ("FAM1", "FAM2")]
    assert fathers[0].keys() != fathers[1].keys()
