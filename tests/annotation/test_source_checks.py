"""``labpipe validate`` opens every annotation source before any tool runs.

Each test builds its reference and sources in code (small files); the shared
bad-input VCFs (``../shared/data/bad-inputs``) are run through the same check
when present. What is asserted is the message a lab reads: which config key,
which file, what is wrong, what to do; every problem at once, no traceback.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pysam
import pytest

from labpipe.annotation.source_checks import check_source
from labpipe.annotation.source_content import SourceCheck
from labpipe.annotation.source_matcher import SourceMatcher
from labpipe.annotation.sources import PopulationSource
from labpipe.core.errors import InputFormatError
from tests.builders import lab_config, run_cli, write_fasta
from tests.paths import SHARED_DATA

SHARED = SHARED_DATA
BAD = SHARED / "bad-inputs"

rng = random.Random(11)
CHR1 = "".join(rng.choice("ACGT") for _ in range(20_000))

CLINVAR_INFO = (
    '##INFO=<ID=CLNSIG,Number=.,Type=String,Description="significance">\n'
    '##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="review status">\n'
    '##INFO=<ID=PAD,Number=1,Type=String,Description="filler, so the file spans blocks">\n'
)
AF_INFO = (
    '##INFO=<ID=AF,Number=A,Type=Float,Description="AF">\n'
    '##INFO=<ID=AF_sas,Number=A,Type=Float,Description="AF South Asian">\n'
)


def alt_of(ref: str) -> str:
    return "G" if ref != "G" else "T"


def write_source(
    path: Path,
    records: list[str],
    info: str,
    contigs: dict[str, int] | None = None,
    extra_header: str = "",
) -> Path:
    """A bgzipped, tabix-indexed VCF at ``path`` (ending .vcf.gz) from tab-separated lines."""
    contigs = {"chr1": len(CHR1)} if contigs is None else contigs
    header = "##fileformat=VCFv4.2\n" + extra_header
    header += "".join(f"##contig=<ID={c},length={n}>\n" for c, n in contigs.items())
    header += info + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    plain = path.with_suffix("")
    plain.write_text(header + "".join(r + "\n" for r in records))
    return Path(pysam.tabix_index(str(plain), preset="vcf", force=True))


def clinvar_records(step: int = 2) -> list[str]:
    pad = "Q" * 60
    return [
        f"chr1\t{p}\t{p}\t{CHR1[p - 1]}\t{alt_of(CHR1[p - 1])}\t.\t.\t"
        f"CLNSIG=Pathogenic;CLNREVSTAT=criteria_provided,_single_submitter;PAD={pad}"
        for p in range(1, len(CHR1), step)
    ]


def af_records(positions: range, contig: str = "chr1") -> list[str]:
    return [
        f"{contig}\t{p}\t.\t{CHR1[p - 1]}\t{alt_of(CHR1[p - 1])}\t.\tPASS\tAF=0.1;AF_sas=0.2"
        for p in positions
    ]


def same_age(path: Path) -> None:
    """Give the index the file's time, as a freshly written pair has."""
    stamp = path.stat().st_mtime
    os.utime(f"{path}.tbi", (stamp, stamp))


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    fasta = write_fasta(tmp_path / "ref.fa", {"chr1": CHR1})
    pysam.faidx(str(fasta))
    return fasta


def check(
    path: Path, reference: Path | None, fields: tuple[tuple[str, str], ...] = ()
) -> list[str]:
    spec = SourceCheck(
        path, "population AF VCF 'gnomad'", "annotation.population_af[0].vcf", fields
    )
    return check_source(spec, {"chr1": len(CHR1)}, reference, None).problems


def lab(tmp_path: Path, annotation: str, build: str = "") -> Path:
    """A lab folder whose reads and sheet are valid, with this annotation section."""
    for mate in (1, 2):
        (tmp_path / f"r{mate}.fq").write_text(f"@r1/{mate}\nACGT\n+\nIIII\n")
    (tmp_path / "samples.tsv").write_text("sample\tunit\tfq1\tfq2\nS1\tL1\tr1.fq\tr2.fq\n")
    config = tmp_path / "lab.yaml"
    config.write_text(
        f"lab: {{name: T, id: t}}\nreference: {{fasta: ref.fa{build}}}\nsamples: samples.tsv\n"
        + annotation
    )
    return config


def test_validate_lists_every_source_problem_at_once(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clinvar = write_source(tmp_path / "clinvar.vcf.gz", clinvar_records(), CLINVAR_INFO)
    data = clinvar.read_bytes()
    clinvar.write_bytes(data[: len(data) * 6 // 10])  # an interrupted download
    same_age(clinvar)
    write_source(tmp_path / "gnomad.vcf.gz", af_records(range(10, 400, 7)), AF_INFO)
    unindexed = write_source(tmp_path / "noindex.vcf.gz", af_records(range(10, 20)), AF_INFO)
    Path(f"{unindexed}.tbi").unlink()
    stale = write_source(tmp_path / "stale.vcf.gz", af_records(range(10, 20)), AF_INFO)
    os.utime(f"{stale}.tbi", (stale.stat().st_mtime - 600,) * 2)
    # One record, but its ##contig line gives GRCh37's chr1.
    write_source(
        tmp_path / "b37.vcf.gz", ["1\t150\t.\tA\tG\t.\tPASS\tAF=0.1"], AF_INFO, {"1": 249_250_621}
    )
    (tmp_path / "genes.gff3").write_text(
        "##gff-version 3\n1\tens\tgene\t100\t900\t.\t+\t.\tID=gene:G1;Name=G1\n"
    )
    config = lab(
        tmp_path,
        "annotation:\n"
        "  gff3: genes.gff3\n"
        "  clinvar: clinvar.vcf.gz\n"
        "  population_af:\n"
        "    - {id: gnomad, vcf: gnomad.vcf.gz, population_field: AF_SAS, global_field: AF}\n"
        "    - {id: noidx, vcf: noindex.vcf.gz, global_field: AF}\n"
        "    - {id: stale, vcf: stale.vcf.gz, global_field: AF}\n"
        "    - {id: old, vcf: b37.vcf.gz, global_field: AF}\n",
    )
    code, _, err = run_cli(["validate", str(config)], capsys)
    assert code == 1
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0] == f"labpipe: error: {config}: inputs cannot be used"
    problems = [line.removeprefix("  - ") for line in lines[1:]]
    assert problems[0].startswith(
        f"'annotation.clinvar': {clinvar}: the file is truncated: the BGZF end-of-file marker"
        " is missing"
    )
    assert problems[1] == (
        f"'annotation.population_af[0].population_field': {tmp_path / 'gnomad.vcf.gz'} has no"
        " INFO/AF_SAS; did you mean AF_sas, AF?"
    )
    assert problems[2].startswith(
        f"'annotation.population_af[1].vcf': {unindexed} has no index (noindex.vcf.gz.tbi or"
        f" .csi): make one beside it with `tabix -p vcf {unindexed}`"
    )
    assert problems[3].startswith(
        f"'annotation.population_af[2].vcf': {stale}.tbi is older than stale.vcf.gz"
    )
    assert f"`tabix -f -p vcf {stale}`" in problems[3]
    assert problems[4] == (
        f"'annotation.population_af[3].vcf': {tmp_path / 'b37.vcf.gz'} is for another genome"
        " build: its ##contig header says 1 is 249,250,621 bp (GRCh37's length), the"
        " reference's chr1 is 20,000 bp; use the release of the file made for the reference's"
        " build"
    )
    gff3 = tmp_path / "genes.gff3"
    assert problems[5] == (
        f"{gff3}: line 2: the GFF3 features use '1', the reference uses 'chr1': rename the"
        " contigs (chr-prefix mismatch)"
    )
    assert problems[6].startswith(f"{gff3}: bcftools csq needs the GFF3's contig names")
    assert len(problems) == 7


def test_a_good_lab_validates(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_source(tmp_path / "clinvar.vcf.gz", clinvar_records(50), CLINVAR_INFO)
    write_source(tmp_path / "gnomad.vcf.gz", af_records(range(10, 400, 7), "1"), AF_INFO, {})
    config = lab(
        tmp_path,
        "annotation:\n  clinvar: clinvar.vcf.gz\n  population_af:\n"
        "    - {id: gnomad, vcf: gnomad.vcf.gz, population_field: AF_sas, global_field: AF}\n",
    )
    code, _, err = run_cli(["validate", str(config)], capsys)
    # Its sources pass; only the missing gene model is said, as what the reports will be.
    assert code == 0
    assert err.splitlines() == [
        "labpipe: warning: no gene model (annotation.gff3) source: every report will say"
        " NOT INTERPRETED and give no tier counts (a run without them cannot rule a finding"
        " in or out); docs/offline-annotation.md says how to build them offline"
    ]


def test_corruption_in_the_middle_is_found_by_reading_to_the_end(
    reference: Path, tmp_path: Path
) -> None:
    clinvar = write_source(tmp_path / "clinvar.vcf.gz", clinvar_records(), CLINVAR_INFO)
    data = bytearray(clinvar.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # a bad sector: the end is intact
    clinvar.write_bytes(bytes(data))
    same_age(clinvar)
    spec = SourceCheck(clinvar, "ClinVar VCF", "annotation.clinvar", (), ("CLNSIG",))
    problems = check_source(spec, {"chr1": len(CHR1)}, reference, None).problems
    assert len(problems) == 1
    assert problems[0].startswith(
        f"'annotation.clinvar': {clinvar}: the ClinVar VCF cannot be read to the end after chr1:"
    )
    assert "download it again" in problems[0]


def test_annotation_step_turns_a_read_error_into_a_message(reference: Path, tmp_path: Path) -> None:
    # A file validate would have refused, met by the annotation step (copied after validate).
    source = write_source(tmp_path / "gnomad.vcf.gz", af_records(range(1, 19_000, 3)), AF_INFO)
    data = bytearray(source.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    source.write_bytes(bytes(data))
    gnomad = PopulationSource("gnomad", "gnomAD", source, "South Asian", "AF_sas", "AF")
    matcher = SourceMatcher(reference, None, [gnomad])
    try:
        with pytest.raises(InputFormatError) as caught:
            for pos in range(1, 19_000, 300):
                matcher.lookup("chr1", pos, CHR1[pos - 1], alt_of(CHR1[pos - 1]))
    finally:
        matcher.close()
    assert str(caught.value).startswith(
        f"{source}: the population AF VCF 'gnomad' cannot be read to the end near chr1:"
    )


def test_small_source_of_another_build_is_caught_by_its_records(
    reference: Path, tmp_path: Path
) -> None:
    # No ##contig lines and three records: their REF bases are not the reference's.
    wrong = [p for p in range(100, 200) if CHR1[p - 1] != "A"][:3]
    records = [f"chr1\t{p}\t.\tA\tG\t.\tPASS\tAF=0.1" for p in wrong]
    source = write_source(tmp_path / "af.vcf.gz", records, AF_INFO, {})
    problems = check(source, reference)
    assert len(problems) == 1
    assert problems[0].startswith(
        f"'annotation.population_af[0].vcf': the REF of 3 of 3 records checked in {source}"
        " differs from the reference"
    )
    # A record past the end of the reference's chr1 tells even without the FASTA.
    past = write_source(
        tmp_path / "past.vcf.gz",
        [f"chr1\t{len(CHR1) + 500}\t.\tA\tG\t.\tPASS\tAF=0.1"],
        AF_INFO,
        {},
    )
    assert check(past, None) == [
        f"'annotation.population_af[0].vcf': {past} has a record at chr1:20500, past the end of"
        " the reference's chr1 (20,000 bp): it is for another genome build; use the release"
        " made for the reference's build"
    ]


def test_header_reference_line_names_the_build(tmp_path: Path) -> None:
    source = write_source(
        tmp_path / "clinvar.vcf.gz",
        ["1\t100\t1\tA\tG\t.\t.\tCLNSIG=Pathogenic"],
        CLINVAR_INFO,
        {},
        "##reference=GRCh37\n",
    )
    spec = SourceCheck(source, "ClinVar VCF", "annotation.clinvar", (), ("CLNSIG",))
    problems = check_source(spec, {"chr1": 248_956_422}, None, "GRCh38").problems
    assert problems == [
        f"'annotation.clinvar': {source} is for GRCh37 (its header says ##reference=GRCh37) but"
        " the reference is GRCh38: use the file's GRCh38 release"
    ]


def test_config_build_against_the_reference_lengths(tmp_path: Path) -> None:
    from labpipe.annotation.annotate import AnnotationSettings
    from labpipe.annotation.annotation_inputs import source_problems

    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chr1\nACGT\n")
    # The index is what labpipe reads the lengths from: GRCh38's chr1.
    Path(f"{fasta}.fai").write_text("chr1\t248956422\t6\t60\t61\n")
    settings = AnnotationSettings.from_config(lab_config(tmp_path))
    problems, _ = source_problems(settings, fasta, "hg19")
    assert problems == [
        f"'reference.build' is 'hg19' (GRCh37) but in {fasta} chr1 is 248,956,422 bp (GRCh38's"
        " length): set reference.build to GRCh38, or give the GRCh37 FASTA"
    ]
    assert source_problems(settings, fasta, "GRCh38")[0] == []


def test_gff3_of_another_build_is_caught_by_its_sequence_regions(tmp_path: Path) -> None:
    from labpipe.inputs.checks.gff3 import check_gff3_contigs

    gff3 = tmp_path / "genes.gff3"
    gff3.write_text(
        "##gff-version 3\n##sequence-region   1 1 249250621\n"
        "1\tens\tgene\t100\t900\t.\t+\t.\tID=gene:G1;Name=G1\n"
    )
    assert check_gff3_contigs(gff3, {"1": 248_956_422}) == [
        f"{gff3}: line 2: ##sequence-region says 1 is 249,250,621 bp (GRCh37's length), but in"
        " the reference 1 is 248,956,422 bp (GRCh38's length): the GFF3 is for another genome"
        " build; give the GFF3 of the reference's build (e.g. Ensembl's GRCh38 release)"
    ]
    assert check_gff3_contigs(gff3, {"1": 249_250_621}) == []


# (file under bad-inputs, what check_source must say after "'<key>': <copy>")
BAD_SOURCES = [
    ("cyvcf2/empty.vcf", "the file is empty (0 bytes); download it again"),
    ("pysam/example_empty.vcf", "the file is empty (0 bytes); download it again"),
    (
        "cyvcf2/test-invalid-header.vcf",
        ": not a readable VCF: its header is not valid VCF (a malformed ## line, or an empty"
        " sample name?); download it again",
    ),
    ("bcftools/empty.vcf", " holds no records (a header only)"),
    ("bcftools/missing.vcf", " is for another genome build: its ##contig header says 1 is"),
    ("bcftools/split-vep.broken-LoF.vcf", "none of the contigs of"),
    ("pysam/example_badcomments.vcf.gz", " has no index"),
]


@pytest.mark.shared_data("bad-inputs")
@pytest.mark.parametrize(("name", "message"), BAD_SOURCES)
def test_shared_bad_vcfs_as_sources(name: str, message: str, tmp_path: Path) -> None:
    copy = tmp_path / Path(name).name
    shutil.copyfile(BAD / name, copy)
    if copy.suffix != ".gz":
        if copy.stat().st_size:
            try:
                copy = Path(pysam.tabix_index(str(copy), preset="vcf", force=True))
            except OSError:
                copy = Path(pysam.tabix_compress(str(copy), f"{copy}.gz", force=True) or "")
                copy = Path(f"{tmp_path / Path(name).name}.gz")
        else:
            copy = copy.rename(copy.with_name(copy.name + ".gz"))
    spec = SourceCheck(copy, "population AF VCF 'x'", "annotation.population_af[0].vcf", ())
    contigs = {"chr1": 20_000, "1": 20_000, "20": 63_025_520}
    problems = check_source(spec, contigs, None, None).problems
    assert any(message in problem for problem in problems), problems
    assert all(problem.startswith("'annotation.population_af[0].vcf': ") for problem in problems)


def damaged_lab(reference: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A lab whose population source is damaged in the middle (after validate passed)."""
    source = write_source(tmp_path / "gnomad.vcf.gz", af_records(range(1, 19_000, 3)), AF_INFO)
    data = bytearray(source.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    source.write_bytes(bytes(data))
    same_age(source)
    config = lab(
        tmp_path,
        "annotation:\n  population_af:\n"
        "    - {id: gnomad, vcf: gnomad.vcf.gz, population_field: AF_sas}\n",
    )
    return config, source


def test_annotation_steps_through_the_cli_give_messages(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, source = damaged_lab(reference, tmp_path)
    # The run's own check: every problem, no traceback.
    out = tmp_path / "results" / "sources.json"
    args = ["step", "annotation-sources", "--config", str(config), "--out", str(out)]
    code, _, err = run_cli(args, capsys)
    assert code == 1 and "Traceback" not in err
    assert err.splitlines()[0] == "labpipe: error: the annotation sources cannot be used"
    assert f"'annotation.population_af[0].vcf': {source}: the population AF VCF 'gnomad'" in err
    assert not out.exists()
    # The ROH step meets the damage while looking up a sample's calls.
    calls = write_source(tmp_path / "calls.vcf.gz", af_records(range(1, 19_000, 301)), AF_INFO)
    roh = tmp_path / "results" / "S1.af.tsv.gz"
    args = ["step", "roh-af", "--config", str(config), "--vcf", str(calls), "--out", str(roh)]
    code, _, err = run_cli(args, capsys)
    assert code == 1 and "Traceback" not in err
    assert err.startswith(
        f"labpipe: error: {source}: the population AF VCF 'gnomad' cannot be read to the end"
        " near chr1:"
    )
    assert not roh.exists()


def test_a_source_too_large_to_read_through_says_what_was_not_checked(
    reference: Path, tmp_path: Path
) -> None:
    source = write_source(tmp_path / "gnomad.vcf.gz", af_records(range(1, 19_000, 3)), AF_INFO)
    spec = SourceCheck(source, "population AF VCF 'gnomad'", "annotation.population_af[0].vcf")
    report = check_source(spec, {"chr1": len(CHR1)}, reference, None, full_read_bytes=0)
    assert report.problems == []
    assert not report.read_whole
    assert (report.records, report.ref_checked, report.ref_agree) == (20, 20, 20)
    assert report.notes == [
        f"'annotation.population_af[0].vcf': {source} is larger than 0 MiB: its header, its end"
        " and the first records of each contig were checked, not every record"
    ]


def last_record_pysam_reads(path: Path) -> str:
    """The last record htslib (through pysam) reads before the damage: an independent oracle."""
    last = "none"
    vcf = pysam.VariantFile(str(path))
    with pytest.raises(OSError):
        for record in vcf:
            last = f"{record.chrom}:{record.pos}"
    with contextlib.suppress(OSError):  # htslib fails to close after a read error
        vcf.close()
    return last


def bgzf_blocks(data: bytes) -> list[tuple[int, int]]:
    """(offset, size) of each BGZF block (BSIZE is at bytes 16-17 of its header)."""
    blocks, offset = [], 0
    while offset < len(data):
        size = int.from_bytes(data[offset + 16 : offset + 18], "little") + 1
        blocks.append((offset, size))
        offset += size
    return blocks


def zero_bytes(data: bytearray) -> None:
    data[len(data) // 3 : len(data) // 3 + 64] = bytes(64)  # a bad sector: it does not inflate


def flip_checksum(data: bytearray) -> None:
    offset, size = bgzf_blocks(bytes(data))[3]
    data[offset + size - 8] ^= 0xFF  # it inflates, to bytes that are not the ones written


@pytest.mark.parametrize("damage", [zero_bytes, flip_checksum])
def test_damage_names_the_last_good_record(
    damage: Callable[[bytearray], None], reference: Path, tmp_path: Path
) -> None:
    # bcftools 1.16 reads on past a damaged block and exits 0: the check must still
    # fail, and name where the good records end.
    clinvar = write_source(tmp_path / "clinvar.vcf.gz", clinvar_records(), CLINVAR_INFO)
    data = bytearray(clinvar.read_bytes())
    damage(data)
    clinvar.write_bytes(bytes(data))
    same_age(clinvar)
    spec = SourceCheck(clinvar, "ClinVar VCF", "annotation.clinvar", (), ("CLNSIG",))
    report = check_source(spec, {"chr1": len(CHR1)}, reference, None)
    assert report.problems == [
        f"'annotation.clinvar': {clinvar}: the ClinVar VCF cannot be read to the end after"
        f" {last_record_pysam_reads(clinvar)} (corrupt compressed data): the file is damaged or"
        " cut short (an interrupted download or copy?); download it again and check it with"
        " `labpipe validate`"
    ]
    assert not report.read_whole


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        # bcftools 1.16 reads these POS as 0 and goes on, exit code 0: the check must not.
        ("chr1\tabc\t.\tA\tG\t.\tPASS\tAF=0.1", "a record's POS is not a whole number"),
        ("chr1\t-5\t.\tA\tG\t.\tPASS\tAF=0.1", "a record's POS is not a whole number"),
        ("chr1\t0\t.\tA\tG\t.\tPASS\tAF=0.1", "a record's POS is not a whole number"),
        # ... and these without a REF (a line cut short, spaces for tabs), when it does not crash.
        ("chr1\t12", "a record has no REF"),
        ("chr1 12 . A G . PASS AF=0.1", "a record has no REF"),
    ],
)
def test_a_malformed_record_is_found(bad: str, why: str, reference: Path, tmp_path: Path) -> None:
    plain = tmp_path / "af.vcf"
    header = f"##fileformat=VCFv4.2\n##contig=<ID=chr1,length={len(CHR1)}>\n{AF_INFO}"
    records = [*af_records(range(1, 11, 3)), bad, *af_records(range(30, 40, 3))]
    plain.write_text(header + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    with plain.open("a") as out:
        out.write("".join(f"{line}\n" for line in records))
    source = tmp_path / "af.vcf.gz"
    pysam.tabix_compress(str(plain), str(source))  # no index: tabix refuses such a file
    problems = check(source, reference)
    assert len(problems) == 2, problems
    assert "has no index" in problems[0]
    assert problems[1].startswith(
        f"'annotation.population_af[0].vcf': {source}: the population AF VCF 'gnomad' cannot be"
        f" read to the end after chr1:10 ({why}"
    )


def test_without_bcftools_a_source_cannot_be_checked_and_says_so(
    reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_source(tmp_path / "af.vcf.gz", af_records(range(10, 40, 3)), AF_INFO)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert check(source, reference) == [
        f"'annotation.population_af[0].vcf': {source}: cannot be checked: bcftools is not"
        " installed (`labpipe doctor` says what is missing)"
    ]
