"""``annotate_sample`` end to end on the toy genome of test_variant_table, with real csq.

The sources are written here: a ClinVar VCF naming the contig ``V`` (the
reference says ``chrV``), a population VCF holding the A5-run deletion at the
run's 3' end, a one-gene panel and a bcftools roh output.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import replace
from pathlib import Path

import pysam
import pytest

from labpipe.annotation.annotate import AnnotationSettings, annotate_sample
from labpipe.annotation.annotated_table import read_annotated_table
from labpipe.annotation.annotation_inputs import check_annotation_inputs
from labpipe.annotation.panels import PanelSpec
from labpipe.annotation.roh import RohSettings
from labpipe.annotation.sources import PopulationSource
from labpipe.annotation.tiers import TierRules
from labpipe.annotation.vcf_info import vcf_escape
from tests.builders import (
    CONTIG,
    VCF_HEADER,
    VCF_RECORDS,
    lab_config,
    run_csq,
    write_genome,
)
from tests.paths import SHARED_DATA

pytestmark = pytest.mark.skipif(shutil.which("bcftools") is None, reason="needs bcftools")
CSQ_CASES = SHARED_DATA / "annotation-af-subsets/bcftools-csq-cases"


def bgzipped(path: Path, text: str) -> Path:
    path.write_text(text)
    return Path(pysam.tabix_index(str(path), preset="vcf", force=True))


def toy_sources(directory: Path) -> tuple[Path, Path, Path, Path]:
    clinvar = bgzipped(
        directory / "clinvar.vcf",
        "##fileformat=VCFv4.1\n##fileDate=2026-01-01\n##contig=<ID=V,length=321>\n"
        '##INFO=<ID=CLNSIG,Number=.,Type=String,Description="x">\n'
        '##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="x">\n'
        '##INFO=<ID=CLNDN,Number=.,Type=String,Description="x">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "V\t44\t101\tC\tA\t.\t.\tCLNSIG=Likely_pathogenic;"
        "CLNREVSTAT=criteria_provided,_single_submitter;CLNDN=Toy_syndrome|not_provided\n"
        "V\t98\t102\tC\tG\t.\t.\tCLNSIG=Pathogenic;CLNREVSTAT=reviewed_by_expert_panel;"
        "CLNDN=Toy_syndrome\n",
    )
    assert CONTIG[47:52] == "AAAAA"  # the A5 run, 1-based 48-52
    population = bgzipped(
        directory / "gnomad.vcf",
        "##fileformat=VCFv4.2\n##contig=<ID=chrV,length=321>\n"
        '##INFO=<ID=AF,Number=A,Type=Float,Description="x">\n'
        '##INFO=<ID=AF_sas,Number=A,Type=Float,Description="x">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chrV\t44\t.\tC\tT\t.\tPASS\tAF=0.2;AF_sas=0.25\n"
        "chrV\t51\t.\tAA\tA\t.\tPASS\tAF=0.0001;AF_sas=0.0003\n"
        "chrV\t231\t.\tC\tG\t.\tPASS\tAF=0.00001\n",
    )
    panel = directory / "panel.txt"
    panel.write_text("ALPHA\n")
    roh = directory / "S2.roh.txt"
    roh.write_text("RG\tS2\tchrV\t40\t60\t21\t3\t40.0\n")
    return clinvar, population, panel, roh


def settings_for(directory: Path, gff3: Path | None) -> tuple[AnnotationSettings, Path]:
    clinvar, population, panel, roh = toy_sources(directory)
    settings = AnnotationSettings(
        gff3=gff3,
        clinvar=clinvar,
        population=(
            PopulationSource("gnomad", "gnomAD", population, "South Asian", "AF_sas", "AF"),
        ),
        panels=(PanelSpec("Toy panel", panel),),
        tiers=TierRules(),
        roh=RohSettings(min_length_bp=10, min_markers=1),
    )
    return settings, roh


@pytest.fixture(scope="module")
def annotated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    directory = tmp_path_factory.mktemp("annotate")
    fasta, gff3 = write_genome(directory)
    calls = directory / "calls.vcf"
    calls.write_text(VCF_HEADER + VCF_RECORDS)
    csq = run_csq(calls, fasta, gff3, directory / "calls.csq.vcf.gz")
    settings, roh = settings_for(directory, gff3)
    out = directory / "out"
    summary = annotate_sample(
        csq, "S2", fasta, settings, out / "S2.vcf.gz", out / "S2.tsv", out / "S2.xlsx", roh
    )
    table = read_annotated_table(out / "S2.tsv")
    rows = {(v.row.pos, v.row.alt): v for v in table.variants}
    return {"dir": directory, "out": out, "summary": summary, "rows": rows, "table": table,
            "settings": settings, "fasta": fasta}  # fmt: skip


def tier_of(annotated: dict[str, object], pos: int, alt: str) -> tuple[int, str]:
    rows = annotated["rows"]
    assert isinstance(rows, dict)
    clinical = rows[(pos, alt)].clinical
    return clinical.tier, clinical.tier_reason


@pytest.mark.parametrize(
    ("pos", "alt", "tier", "reason"),
    [
        (44, "A", 1, "ClinVar Likely pathogenic"),  # second ALT of a multi-allelic call
        (44, "T", 4, "missense, common (AF 0.25 >= 0.01)"),  # first ALT: common
        (98, "G", 1, "ClinVar Pathogenic"),  # ClinVar names the contig V, not chrV
        (47, "G", 2, "rare frameshift in panel gene"),  # source writes it at the run's end
        (58, "G", 2, "rare stop_gained in panel gene"),  # LowQual, still tiered
        (65, "T", 3, "rare splice_region in panel gene"),
        (231, "G", 4, "missense outside the panel"),
        (20, "T", 4, "no coding consequence"),
    ],
)
def test_tiers_from_real_csq_and_sources(
    annotated: dict[str, object], pos: int, alt: str, tier: int, reason: str
) -> None:
    assert tier_of(annotated, pos, alt) == (tier, reason)


def test_a_no_call_is_not_tiered(annotated: dict[str, object]) -> None:
    """S2 is ./. at 120 (S1 carries it): not S2's variant, so in no tier (issue 11 item 7)."""
    rows = annotated["rows"]
    assert isinstance(rows, dict)
    assert (120, "T") not in rows


def test_table_carries_clinvar_afs_panel_and_roh(annotated: dict[str, object]) -> None:
    rows = annotated["rows"]
    assert isinstance(rows, dict)
    table = annotated["table"]
    assert table.af_columns == ("gnomad_population_af", "gnomad_global_af")  # type: ignore[attr-defined]
    c = rows[(44, "A")].clinical
    assert (c.clinvar_significance, c.clinvar_stars, c.clinvar_id) == (
        "Likely_pathogenic",
        1,
        "101",
    )
    assert c.clinvar_review_status == "criteria_provided,_single_submitter"
    assert c.clinvar_condition == "Toy_syndrome|not_provided"
    assert rows[(47, "G")].clinical.population_afs == (0.0003, 0.0001)
    assert rows[(47, "G")].clinical.max_af == 0.0003
    assert rows[(231, "G")].clinical.population_afs == (None, 0.00001)
    assert rows[(47, "G")].clinical.in_panel == "Toy panel"
    assert rows[(231, "G")].clinical.in_panel == ""
    # S2 is 1/1 at 47 (inside the run) and 0/1 at 44 (inside, but heterozygous).
    assert rows[(47, "G")].clinical.roh_segment == "chrV:40-60"
    assert rows[(44, "A")].clinical.roh_segment == ""
    assert rows[(47, "G")].row.hgvs_c == "c.12del"
    assert rows[(47, "G")].clinical.frequency == "rare"
    # Depth and allele fraction against the default thresholds (15 reads, het 0.25-0.75).
    for variant in rows.values():
        row, flag = variant.row, variant.clinical.confidence
        low = row.depth is None or row.depth < 15
        assert low <= flag.startswith("confirm orthogonally"), (row, flag)


def test_vcf_gets_declared_info_fields_per_allele(annotated: dict[str, object]) -> None:
    out = annotated["out"]
    assert isinstance(out, Path)
    with pysam.VariantFile(str(out / "S2.vcf.gz")) as vcf:
        header = vcf.header
        assert header.info["LP_TIER"].number == "A" and header.info["LP_TIER"].type == "Integer"
        assert "LP_GNOMAD_POPULATION_AF" in header.info
        sources = [r for r in header.records if r.key == "labpipe_annotation_source"]
        assert len(sources) == 2
        records = {r.pos: r for r in vcf.fetch("chrV")}
    multi = records[44]
    assert multi.info["LP_TIER"] == (4, 1)
    assert multi.info["LP_CLNSIG"] == (".", "Likely_pathogenic")
    assert records[47].info["LP_ROH"] == ("chrV:40-60",)
    assert records[47].info["LP_MAX_AF"][0] == pytest.approx(0.0003)
    # Commas inside a value are escaped, so Number=A still splits by allele.
    assert records[44].info["LP_CLNREVSTAT"][1] == "criteria_provided%2C_single_submitter"
    assert "BCSQ" in records[47].info  # csq's own annotation is kept
    assert Path(f"{out / 'S2.vcf.gz'}.tbi").exists()


def test_workbook_has_one_sheet_per_tier(annotated: dict[str, object]) -> None:
    from openpyxl import load_workbook

    out = annotated["out"]
    assert isinstance(out, Path)
    workbook = load_workbook(out / "S2.xlsx")
    assert workbook.sheetnames == ["About", "Tier 1", "Tier 2", "Tier 3", "Tier 4", "Incidental"]
    tier1 = workbook["Tier 1"]
    header = [cell.value for cell in tier1[1]]
    rows = [
        dict(zip(header, (cell.value for cell in row), strict=True))
        for row in tier1.iter_rows(min_row=2)
    ]
    assert {(r["pos"], r["alt"]) for r in rows} == {(44, "A"), (98, "G")}
    assert all(isinstance(r["pos"], int) and r["tier"] == 1 for r in rows)
    assert tier1.freeze_panes == "A2"


def test_incidental_findings_are_marked_and_apart_in_the_workbook(
    annotated: dict[str, object], tmp_path: Path
) -> None:
    """A ClinVar P/LP call outside the panel: tier 1 with `incidental` = yes in the table, on
    the workbook's Incidental sheet (not Tier 1), as the report lists it; a lab opting in to
    report.incidental_in_tier1 gets it unmarked on Tier 1; without a gene model the gene is
    unknown, so nothing is called incidental."""
    from openpyxl import load_workbook

    directory, settings, fasta = annotated["dir"], annotated["settings"], annotated["fasta"]
    assert isinstance(directory, Path) and isinstance(fasta, Path)
    assert isinstance(settings, AnnotationSettings)
    calls, csq = directory / "calls.vcf", directory / "calls.csq.vcf.gz"
    other = tmp_path / "other_panel.txt"
    other.write_text("OTHERGENE\n")
    off_panel = replace(settings, panels=(PanelSpec("Other panel", other),))

    def marks(settings: AnnotationSettings, name: str, vcf: Path) -> tuple[dict[int, str], object]:
        out = tmp_path / name
        tsv, xlsx = out / "S2.tsv", out / "S2.xlsx"
        annotate_sample(vcf, "S2", fasta, settings, out / "S2.vcf.gz", tsv, xlsx)
        table = read_annotated_table(tsv)
        tier1 = {v.row.pos: v.clinical.incidental for v in table.variants if v.clinical.tier == 1}
        return tier1, load_workbook(xlsx)

    tier1, workbook = marks(off_panel, "off", csq)
    assert tier1 == {44: "yes", 98: "yes"}
    with pysam.VariantFile(str(tmp_path / "off" / "S2.vcf.gz")) as vcf:
        assert {r.pos: r.info["LP_INCIDENTAL"] for r in vcf if r.pos == 98} == {98: ("yes",)}
    sheet_rows = {name: workbook[name].max_row - 1 for name in ("Tier 1", "Incidental")}
    assert sheet_rows == {"Tier 1": 0, "Incidental": 2}
    assert "Incidental" in [row[0].value for row in workbook["About"].iter_rows()]

    tier1, workbook = marks(replace(off_panel, incidental_in_tier1=True), "opted", csq)
    assert tier1 == {44: "", 98: ""} and workbook["Tier 1"].max_row - 1 == 2

    tier1, _ = marks(replace(off_panel, gff3=None), "no_genes", calls)
    assert set(tier1.values()) == {""}


def test_summary_counts(annotated: dict[str, object]) -> None:
    summary = annotated["summary"]
    lines = summary.lines()  # type: ignore[attr-defined]
    assert summary.by_tier[1] == 2  # type: ignore[attr-defined]
    assert "1 runs of homozygosity reported" in lines
    assert any("V = chrV" in line for line in lines)


def test_without_gff3_only_clinvar_decides(tmp_path: Path) -> None:
    fasta, _ = write_genome(tmp_path)
    calls = tmp_path / "calls.vcf"
    calls.write_text(VCF_HEADER + VCF_RECORDS)
    settings, _ = settings_for(tmp_path, None)
    annotate_sample(calls, "S2", fasta, settings, tmp_path / "o.vcf.gz", tmp_path / "o.tsv")
    with open(tmp_path / "o.tsv") as handle:
        rows = {(r["pos"], r["alt"]): r for r in csv.DictReader(handle, delimiter="\t")}
    assert rows[("98", "G")]["tier"] == "1"
    assert rows[("47", "G")]["tier"] == "4" and rows[("47", "G")]["consequence"] == ""
    # settings_for gives a population source: its frequency is known.
    assert {r["frequency"] for r in rows.values()} <= {"rare", "common", "absent"}


def test_without_population_source_frequency_is_unknown(tmp_path: Path) -> None:
    fasta, _ = write_genome(tmp_path)
    calls = tmp_path / "calls.vcf"
    calls.write_text(VCF_HEADER + VCF_RECORDS)
    settings, _ = settings_for(tmp_path, None)
    settings = replace(settings, population=())
    out = tmp_path / "o.xlsx"
    annotate_sample(calls, "S2", fasta, settings, tmp_path / "o.vcf.gz", tmp_path / "o.tsv", out)
    with open(tmp_path / "o.tsv") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert rows and {r["frequency"] for r in rows} == {"unknown"}
    from openpyxl import load_workbook

    sheet = load_workbook(out, read_only=True)["Tier 4"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert {r[header.index("frequency")] for r in sheet.iter_rows(min_row=2, values_only=True)} == {
        "unknown"
    }


def test_sources_are_checked_and_described_once(
    annotated: dict[str, object], tmp_path: Path
) -> None:
    settings = annotated["settings"]
    fasta = annotated["fasta"]
    assert isinstance(settings, AnnotationSettings) and isinstance(fasta, Path)
    description = check_annotation_inputs(settings, fasta, ["S1", "S2"], tmp_path / "s.json")
    clinvar = description["sources"][0]
    assert clinvar["fileDate"] == "2026-01-01" and len(clinvar["sha256"]) == 64
    assert "V = chrV" in clinvar["contig_naming"]
    assert description["panels"][0]["genes"] == ["ALPHA"]
    assert description["tiers"][0].startswith("Tier 1:")
    assert (tmp_path / "s.json").exists()


def test_settings_from_config_resolve_relative_paths(tmp_path: Path) -> None:
    config = lab_config(
        tmp_path,
        annotation={
            "clinvar": "sources/clinvar.vcf.gz",
            "population_af": [{"id": "gnomad", "vcf": "/data/g.vcf.bgz", "global_field": "AF"}],
            "panels": [{"name": "P", "file": "p.txt", "samples": ["S1"]}],
        },
    )
    settings = AnnotationSettings.from_config(config)
    assert settings.clinvar == tmp_path / "sources" / "clinvar.vcf.gz"
    assert settings.population[0].vcf == Path("/data/g.vcf.bgz")
    assert settings.population[0].name == "gnomad"
    assert [c.column for c in settings.af_columns] == ["gnomad_global_af"]
    assert settings.panels[0].samples == ("S1",)
    assert set(settings.source_files()) == {"clinvar", "population_af:gnomad", "panel:P"}


def test_vcf_escape() -> None:
    assert vcf_escape("a,b;c=d e%") == "a%2Cb%3Bc%3Dd%20e%25"


@pytest.mark.shared_data("annotation-af-subsets/bcftools-csq-cases")
@pytest.mark.parametrize(
    ("case", "vcf", "gene", "expected"),
    [
        # No population source here: the frequency is unknown, never rare, so not tier 2.
        ("ENST00000218032", "start-lost.vcf", "TLR8", [(108, 4, "start_lost&splice_region")]),
        ("ENSG00000173376", "synon.vcf", "NDNF", [(1944, 4, "synonymous")]),
    ],
)
def test_real_csq_bundles_get_their_tier(
    tmp_path: Path, case: str, vcf: str, gene: str, expected: list[tuple[int, int, str]]
) -> None:
    bundle = CSQ_CASES / case
    fasta = tmp_path / "ref.fa"
    shutil.copyfile(bundle / f"{case}.fa", fasta)
    pysam.faidx(str(fasta))
    # The bundle's VCF is sites-only; give it one heterozygous sample.
    lines = (bundle / vcf).read_text().splitlines()
    text = "\n".join(
        line
        if line.startswith("##")
        else line + "\tFORMAT\tS1"
        if line.startswith("#")
        else line + "\tGT\t0/1"
        for line in lines
    )
    text = text.replace("#CHROM", '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n#CHROM')
    calls = tmp_path / "calls.vcf"
    calls.write_text(text + "\n")
    csq = run_csq(calls, fasta, bundle / f"{case}.gff", tmp_path / "csq.vcf.gz")
    panel = tmp_path / "panel.txt"
    panel.write_text(f"{gene}\n")
    settings = AnnotationSettings(
        bundle / f"{case}.gff", None, (), (PanelSpec("P", panel),), TierRules(), RohSettings()
    )
    annotate_sample(csq, "S1", fasta, settings, tmp_path / "o.vcf.gz", tmp_path / "o.tsv")
    got = [
        (v.row.pos, v.clinical.tier, v.row.consequence)
        for v in read_annotated_table(tmp_path / "o.tsv").variants
    ]
    assert got == expected
    # With no panel at all, every gene counts as a panel gene: the same tier.
    other = replace(settings, panels=())
    annotate_sample(csq, "S1", fasta, other, tmp_path / "p.vcf.gz", tmp_path / "p.tsv")
    assert read_annotated_table(tmp_path / "p.tsv").variants[0].clinical.tier == expected[0][1]


def test_file_problems_for_validate(tmp_path: Path) -> None:
    from labpipe.annotation.annotation_inputs import annotation_file_problems

    (tmp_path / "clinvar.vcf.gz").write_bytes(b"")
    (tmp_path / "ref.fa").write_text(">chr1\nACGT\n")
    config = lab_config(
        tmp_path,
        annotation={"clinvar": "clinvar.vcf.gz", "panels": [{"name": "P", "file": "missing.txt"}]},
    )
    problems = annotation_file_problems(config)
    assert problems == [
        f"'annotation.clinvar': {tmp_path / 'clinvar.vcf.gz'}: the file is empty (0 bytes);"
        " download it again",
        f"'annotation.panels[0]': panel file {tmp_path / 'missing.txt'} does not exist",
    ]


def test_a_trio_childs_inheritance_and_the_tier_rule_reach_table_and_vcf(
    annotated: dict[str, object], tmp_path: Path
) -> None:
    from labpipe.annotation.inheritance import InheritanceCall

    directory, settings, rows = annotated["dir"], annotated["settings"], annotated["rows"]
    assert isinstance(directory, Path) and isinstance(settings, AnnotationSettings)
    assert isinstance(rows, dict)
    strict = replace(settings, tiers=replace(settings.tiers, require_inheritance=True))

    def call(pos: int, alt: str, label: str, origin: str, fits: bool) -> InheritanceCall:
        row = rows[(pos, alt)].row
        return InheritanceCall("S2", row.chrom, pos, row.ref, alt, label, origin, fits, "", "")

    family = [
        # The rare frameshift came from an unaffected father: fits no mode, tier 2 -> 3.
        call(47, "G", "inherited", "father", False),
        call(58, "G", "de_novo", "", True),
    ]
    annotate_sample(
        directory / "calls.csq.vcf.gz", "S2", annotated["fasta"], strict,  # type: ignore[arg-type]
        tmp_path / "o.vcf.gz", tmp_path / "o.tsv", inheritance=family,
    )  # fmt: skip
    table = read_annotated_table(tmp_path / "o.tsv").variants
    clinical = {(v.row.pos, v.row.alt): v.clinical for v in table}
    assert (clinical[(47, "G")].inheritance, clinical[(47, "G")].tier) == ("inherited", 3)
    assert (clinical[(58, "G")].inheritance, clinical[(58, "G")].tier) == ("de_novo", 2)
    # A labelled child's call missing from the family's table is not assessable.
    assert clinical[(65, "T")].inheritance == "not_assessable"
    with pysam.VariantFile(str(tmp_path / "o.vcf.gz")) as vcf:
        tiers = {
            (r.pos, alt): tier
            for r in vcf
            if "LP_TIER" in r.info
            for alt, tier in zip(r.alts or (), r.info["LP_TIER"], strict=True)
        }
    assert (tiers[(47, "G")], tiers[(58, "G")]) == (3, 2)


@pytest.mark.parametrize(
    ("language", "sheets", "pos_header"),
    [
        ("ur", ["تعارف", "درجہ 1", "درجہ 2", "درجہ 3", "درجہ 4", "اتفاقی"], "مقام"),
        ("zh_Hans", ["说明", "第 1 级", "第 2 级", "第 3 级", "第 4 级", "偶然发现"], "位置"),
    ],
)
def test_workbook_sheets_and_headers_in_the_labs_language(
    annotated: dict[str, object], tmp_path: Path, language: str, sheets: list[str], pos_header: str
) -> None:
    """Sheet names and headers translated; each header names its TSV column in a comment; the
    report's print note names the sheet by the same word (Tier %(tier)s)."""
    from openpyxl import load_workbook

    from labpipe.core.i18n import using_language

    directory, settings, fasta = annotated["dir"], annotated["settings"], annotated["fasta"]
    assert isinstance(directory, Path) and isinstance(fasta, Path)
    assert isinstance(settings, AnnotationSettings)
    out = tmp_path / "S2.xlsx"
    with using_language(language):
        annotate_sample(
            directory / "calls.csq.vcf.gz", "S2", fasta, settings, tmp_path / "S2.vcf.gz",
            tmp_path / "S2.tsv", out,
        )  # fmt: skip
    workbook = load_workbook(out)
    assert workbook.sheetnames == sheets
    tier1 = workbook[sheets[1]]
    header = {cell.comment.text: cell.value for cell in tier1[1] if cell.comment}
    assert header["pos"] == pos_header
    assert tier1.max_row - 1 == 2  # the same rows as the English workbook's Tier 1
