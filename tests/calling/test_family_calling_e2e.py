"""Joint calling of a family, end to end with the real tools on the demo data.

The demo's PK001 and PK002 are declared one family (PK002 PK001's mother), and a copy of
PK001's reads, SOLO, is in the same batch alone: the family's VCF must hold both
members with a depth at every site either carries, each member's VCF is cut from it, and
SOLO is called exactly as a singleton always was.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pysam
import pytest

from labpipe.core import layout
from labpipe.core.resources import demo_data_dir
from labpipe.demo import prepare_demo
from tests.builders import DemoRun, run_labpipe_run

pytestmark = pytest.mark.e2e

DATA = demo_data_dir()
FAMILY_COLUMNS = {"PK001": ("FAM1", "0", "PK002", "yes"), "PK002": ("FAM1", "0", "0", "no")}


@pytest.fixture(scope="module")
def family_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run of the demo batch with PK001/PK002 a family and SOLO (PK001's reads) alone."""
    outdir = tmp_path_factory.mktemp("family") / "run"
    config = prepare_demo(outdir, overwrite=False)
    reads = outdir / "solo_reads"
    reads.mkdir()
    lines = (DATA / "samples.tsv").read_text().splitlines()
    rows = [lines[0] + "\tfamily\tfather\tmother\taffected"]
    for line in lines[1:]:
        cells = line.split("\t")
        sample = cells[0]
        cells[2:4] = [str(DATA / cell) for cell in cells[2:4]]
        rows.append("\t".join([*cells, *FAMILY_COLUMNS[sample]]))
        if sample == "PK001":
            # SOLO: the same reads under another name (copies: one file, one sample).
            copies = [shutil.copy(cell, reads / Path(cell).name) for cell in cells[2:4]]
            rows.append(
                "\t".join(["SOLO", cells[1], *map(str, copies), *cells[4:], "", "", "", ""])
            )
    sheet = outdir / "family_samples.tsv"
    sheet.write_text("\n".join(rows) + "\n")
    config.write_text(config.read_text().replace(str(DATA / "samples.tsv"), str(sheet)))
    run_labpipe_run(config, 2)
    return outdir


def records(vcf: Path) -> list[pysam.VariantRecord]:
    with pysam.VariantFile(str(vcf)) as handle:
        return list(handle)


def test_family_vcf_has_every_member_with_depth_where_another_carries_a_variant(
    family_run: Path,
) -> None:
    vcf = family_run / layout.family_vcf("FAM1")
    assert (family_run / layout.path(layout.FAMILY_TBI, family="FAM1")).exists()
    with pysam.VariantFile(str(vcf)) as handle:
        assert list(handle.header.samples) == ["PK001", "PK002"]  # pedigree order
        assert {"GT", "DP", "AD", "GQ"} <= set(handle.header.formats)
    calls = records(vcf)
    assert calls
    only_in_one = 0
    for record in calls:
        genotypes = {s: record.samples[s]["GT"] for s in ("PK001", "PK002")}
        carriers = [s for s, gt in genotypes.items() if any(a for a in gt if a is not None)]
        assert carriers, f"{record.chrom}:{record.pos}: no member carries it"
        for sample in ("PK001", "PK002"):
            # A reference call with its depth, not a missing site.
            assert None not in genotypes[sample], f"{record.chrom}:{record.pos} {sample}"
            assert record.samples[sample]["DP"] > 0
        if len(carriers) == 1:
            only_in_one += 1
            other = "PK002" if carriers == ["PK001"] else "PK001"
            assert genotypes[other] == (0, 0)
            assert record.samples[other]["AD"][0] > 0
    assert only_in_one > 5  # the demo's two samples carry different variants


def test_member_vcfs_are_the_family_calls_of_their_sample(family_run: Path) -> None:
    family = records(family_run / layout.family_vcf("FAM1"))
    for sample in ("PK001", "PK002"):
        vcf = family_run / layout.path(layout.VCF, sample=sample)
        with pysam.VariantFile(str(vcf)) as handle:
            assert list(handle.header.samples) == [sample]
            assert "labpipe_calling_config_sha256" in str(handle.header)
        own = {(r.chrom, r.pos, r.ref, r.alts) for r in records(vcf)}
        carried = {
            (r.chrom, r.pos, r.ref, r.alts)
            for r in family
            if any(a for a in r.samples[sample]["GT"] if a is not None)
        }
        assert own == carried, sample


def test_members_calls_are_the_singleton_calls_and_a_singleton_is_unchanged(
    family_run: Path, demo_run: DemoRun
) -> None:
    def calls(vcf: Path) -> list[tuple[object, ...]]:
        return [
            (r.chrom, r.pos, r.ref, r.alts, tuple(r.filter), r.samples[0]["GT"])
            for r in records(vcf)
        ]

    demo = demo_run.outdir
    for sample in ("PK001", "PK002"):
        # Measured on the demo data: joint calling changes no site, genotype or filter of
        # these deep (~100x) samples (QUAL is the family's).
        assert calls(family_run / layout.path(layout.VCF, sample=sample)) == calls(
            demo / layout.path(layout.VCF, sample=sample)
        ), sample
    # A sample in no family keeps today's path: record for record PK001's calls.
    solo = [str(r) for r in records(family_run / layout.path(layout.VCF, sample="SOLO"))]
    alone = [str(r) for r in records(demo / layout.path(layout.VCF, sample="PK001"))]
    assert solo == alone
    assert not (demo / "results" / "family").exists()


def test_manifest_names_the_family_vcf(family_run: Path) -> None:
    manifest = json.loads((family_run / layout.MANIFEST).read_text())
    assert manifest["families"] == {
        "FAM1": {"vcf": "results/family/FAM1.vcf.gz", "samples": ["PK001", "PK002"]}
    }
    assert "results/family/FAM1.vcf.gz" in manifest["outputs"]
