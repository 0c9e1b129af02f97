"""Tests for labpipe.qc.metrics: metrics read from real fastp/samtools/mosdepth output.

The module fixture runs the tools the workflow runs on reads simulated in conftest, so every
expected value below is known from the simulation or recomputed from the BAM with pysam, not
copied from the tools' own output.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pysam
import pytest

from labpipe.core.errors import InputFormatError
from labpipe.qc.metrics import (
    QC_COLUMNS,
    SampleQC,
    collect_sample_qc,
    read_qc_table,
    write_ledger_mqc,
    write_qc_table,
)
from labpipe.qc.read_pairs import count_pairs, write_pair_count
from labpipe.qc.tool_reports import (
    read_fastp_json,
    read_flagstat_json,
    read_markdup_stats,
    read_mosdepth_targets,
    read_samtools_stats_summary,
)

if TYPE_CHECKING:
    from tests.builders import TinyDataset


TOOLS = ("fastp", "bwa", "samtools", "mosdepth")
needs_tools = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in TOOLS),
    reason=f"needs {', '.join(TOOLS)} on PATH",
)

# mosdepth's default --flag: unmapped, secondary, QC-fail, duplicate.
MOSDEPTH_EXCLUDED_FLAGS = 0x4 | 0x100 | 0x200 | 0x400


@dataclass(frozen=True)
class ToolOutputs:
    """What the workflow's QC steps write for the tiny sample."""

    fastp_jsons: list[Path]
    bam: Path
    markdup_stats: Path
    flagstat_json: Path
    stats_txt: Path
    mosdepth_prefix: Path


def run(command: list[str], stdout: IO[str] | None = None) -> None:
    """Run a tool; on failure show what it said."""
    result = subprocess.run(
        command, stdout=stdout or subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False
    )
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stderr}"


@pytest.fixture(scope="module")
def tool_outputs(
    tiny_reference_and_reads: TinyDataset, tmp_path_factory: pytest.TempPathFactory
) -> ToolOutputs:
    """fastp per unit, bwa mem | fixmate | sort, merge, markdup, flagstat, stats, mosdepth."""
    data = tiny_reference_and_reads
    work = tmp_path_factory.mktemp("qc_tools")
    reference = work / "ref.fa"
    shutil.copy(data.reference, reference)
    run(["bwa", "index", str(reference)])
    fastp_jsons: list[Path] = []
    unit_bams: list[str] = []
    for lane, (r1, r2) in enumerate(data.units, start=1):
        unit = work / f"S1.L{lane}"
        trimmed1, trimmed2 = Path(f"{unit}.R1.fastq.gz"), Path(f"{unit}.R2.fastq.gz")
        fastp_json = Path(f"{unit}.fastp.json")
        run(
            [
                "fastp", "-i", str(r1), "-I", str(r2), "-o", str(trimmed1), "-O", str(trimmed2),
                "--detect_adapter_for_pe", "--json", str(fastp_json),
                "--html", f"{unit}.fastp.html", "--thread", "2",
            ]
        )  # fmt: skip
        fastp_jsons.append(fastp_json)
        sam = f"{unit}.sam"
        read_group = f"@RG\\tID:S1.L{lane}\\tSM:S1\\tPL:ILLUMINA"
        run(["bwa", "mem", "-t", "2", "-R", read_group, "-o", sam, str(reference),
             str(trimmed1), str(trimmed2)])  # fmt: skip
        run(["samtools", "fixmate", "-m", sam, f"{unit}.fixmate.bam"])
        run(["samtools", "sort", "-o", f"{unit}.bam", f"{unit}.fixmate.bam"])
        unit_bams.append(f"{unit}.bam")
    merged = work / "S1.merged.bam"
    run(["samtools", "merge", "-f", "-o", str(merged), *unit_bams])
    bam = work / "S1.bam"
    markdup_stats = work / "S1.markdup.txt"
    run(["samtools", "markdup", "-f", str(markdup_stats), str(merged), str(bam)])
    run(["samtools", "index", str(bam)])
    flagstat_json = work / "S1.flagstat.json"
    with open(flagstat_json, "w") as out:
        run(["samtools", "flagstat", "-O", "json", str(bam)], stdout=out)
    stats_txt = work / "S1.stats.txt"
    with open(stats_txt, "w") as out:
        run(["samtools", "stats", str(bam)], stdout=out)
    mosdepth_prefix = work / "S1"
    run(["mosdepth", "--by", str(data.targets_bed), "--thresholds", "10,20,30", "-n",
         str(mosdepth_prefix), str(bam)])  # fmt: skip
    return ToolOutputs(fastp_jsons, bam, markdup_stats, flagstat_json, stats_txt, mosdepth_prefix)


@pytest.fixture(scope="module")
def sample_qc(tool_outputs: ToolOutputs) -> SampleQC:
    out = tool_outputs
    return collect_sample_qc(
        "S1", out.fastp_jsons, out.flagstat_json, out.stats_txt, out.mosdepth_prefix,
        markdup_stats=out.markdup_stats,
    )  # fmt: skip


def target_depths(bam: Path, targets_bed: Path, contig_length: int) -> list[list[int]]:
    """Per-base depth of each target, counted from the BAM the way mosdepth 0.3.3 counts.

    Aligned blocks only (deletions and soft clips add nothing); a proper pair counts once
    where its mates overlap, other overlapping mates count twice (checked against mosdepth
    on a hand-made pair; this data set has no overlapping proper pairs but short-insert
    improper ones).
    """
    depth = [0] * contig_length
    proper_templates: dict[str, set[int]] = {}
    with pysam.AlignmentFile(str(bam)) as alignments:
        for read in alignments:
            if read.flag & MOSDEPTH_EXCLUDED_FLAGS:
                continue
            covered = {pos for start, end in read.get_blocks() for pos in range(start, end)}
            if read.is_proper_pair:
                proper_templates.setdefault(read.query_name or "", set()).update(covered)
            else:
                for pos in covered:
                    depth[pos] += 1
    for covered in proper_templates.values():
        for pos in covered:
            depth[pos] += 1
    targets = [line.split("\t") for line in targets_bed.read_text().splitlines()]
    return [depth[int(start) : int(end)] for _, start, end, *_ in targets]


@needs_tools
class TestCollectFromRealToolOutput:
    def test_read_counts_match_the_simulation(
        self, sample_qc: SampleQC, tiny_reference_and_reads: TinyDataset
    ) -> None:
        data = tiny_reference_and_reads
        assert sample_qc.sample == "S1"
        assert sample_qc.reads_total == data.raw_reads
        assert sample_qc.reads_after_filter == data.raw_reads - 2 * data.count("low_quality")
        assert sample_qc.adapter_trimmed_reads == 2 * data.count("adapter")

    def test_q30_is_the_share_of_simulated_bases_at_q30(
        self, sample_qc: SampleQC, tiny_reference_and_reads: TinyDataset
    ) -> None:
        data = tiny_reference_and_reads
        expected = 100 * data.raw_q30_bases / data.raw_bases
        assert sample_qc.q30_pct == pytest.approx(expected, abs=1e-3)

    def test_mapping_and_duplicates_match_the_planted_reads(
        self, sample_qc: SampleQC, tiny_reference_and_reads: TinyDataset
    ) -> None:
        data = tiny_reference_and_reads
        in_bam = data.raw_reads - 2 * data.count("low_quality")
        mapped = in_bam - 2 * data.count("unmappable")
        assert sample_qc.mapped_pct == pytest.approx(100 * mapped / in_bam, abs=1e-3)
        assert sample_qc.duplicate_pct == pytest.approx(
            100 * 2 * data.count("duplicate") / mapped, abs=1e-3
        )
        # 60 bp inserts are far outside bwa's inferred insert-size range.
        proper = mapped - 2 * data.count("adapter")
        assert sample_qc.properly_paired_pct == pytest.approx(100 * proper / in_bam, abs=1e-3)

    def test_mean_insert_size_is_near_the_simulated_fragments(
        self, sample_qc: SampleQC, tiny_reference_and_reads: TinyDataset
    ) -> None:
        fragments = [
            p.fragment_length
            for p in tiny_reference_and_reads.pairs
            if p.kind in ("unique", "duplicate", "adapter")
        ]
        assert sample_qc.mean_insert_size is not None
        # samtools stats leaves out the longest 1% of inserts, so only near.
        assert sample_qc.mean_insert_size == pytest.approx(sum(fragments) / len(fragments), abs=5)

    def test_target_depth_matches_depth_counted_from_the_bam(
        self,
        sample_qc: SampleQC,
        tool_outputs: ToolOutputs,
        tiny_reference_and_reads: TinyDataset,
    ) -> None:
        data = tiny_reference_and_reads
        depths = target_depths(tool_outputs.bam, data.targets_bed, len(data.sequence))
        bases = [d for target in depths for d in target]
        assert sample_qc.mean_target_depth == pytest.approx(sum(bases) / len(bases), abs=1e-3)
        for threshold, reported in (
            (10, sample_qc.pct_target_10x),
            (20, sample_qc.pct_target_20x),
            (30, sample_qc.pct_target_30x),
        ):
            at_least = sum(1 for d in bases if d >= threshold)
            assert reported == pytest.approx(100 * at_least / len(bases), abs=1e-3)
        # The contig-end target makes the thresholds differ, so the test can tell them apart.
        assert 100 >= sample_qc.pct_target_10x > sample_qc.pct_target_20x
        assert sample_qc.pct_target_20x > sample_qc.pct_target_30x > 0

    def test_mean_depth_is_near_what_the_read_count_predicts(
        self, sample_qc: SampleQC, tiny_reference_and_reads: TinyDataset
    ) -> None:
        data = tiny_reference_and_reads
        # Away from the contig end, depth ~ unique bases sequenced / reference length.
        expected = 2 * data.count("unique") * data.read_length / len(data.sequence)
        assert sample_qc.mean_target_depth == pytest.approx(expected, rel=0.3)

    def test_markdup_stats_count_the_planted_duplicates(
        self, sample_qc: SampleQC, tool_outputs: ToolOutputs, tiny_reference_and_reads: TinyDataset
    ) -> None:
        stats = read_markdup_stats(tool_outputs.markdup_stats)
        assert stats.duplicate_total == 2 * tiny_reference_and_reads.count("duplicate")
        assert stats.duplicate_pair == stats.duplicate_total
        assert sample_qc.estimated_library_size == stats.estimated_library_size > 0

    def test_units_are_summed(self, tool_outputs: ToolOutputs, sample_qc: SampleQC) -> None:
        per_unit = [read_fastp_json(p) for p in tool_outputs.fastp_jsons]
        assert len(per_unit) == 2
        assert all(u.raw_reads > 0 for u in per_unit)
        assert sample_qc.reads_total == sum(u.raw_reads for u in per_unit)

    def test_read_ledger_adds_up_exactly(
        self, tool_outputs: ToolOutputs, tiny_reference_and_reads: TinyDataset, tmp_path: Path
    ) -> None:
        """Pairs counted in the FASTQs = pairs in the BAM + pairs each filter removed."""
        data, out = tiny_reference_and_reads, tool_outputs
        counts = []
        for lane, (r1, r2) in enumerate(data.units, start=1):
            counts.append(tmp_path / f"S1.L{lane}.pairs.json")
            write_pair_count(count_pairs("S1", f"L{lane}", r1, r2), counts[-1])
        row = collect_sample_qc(
            "S1", out.fastp_jsons, out.flagstat_json, out.stats_txt, out.mosdepth_prefix,
            pair_counts=counts,
        )  # fmt: skip
        assert row.pairs_in == len(data.pairs)
        assert row.pairs_removed_low_quality == data.count("low_quality") > 0
        assert (row.pairs_removed_too_many_n, row.pairs_removed_too_short) == (0, 0)
        assert row.pairs_removed_other == 0
        with pysam.AlignmentFile(str(out.bam)) as bam:
            in_bam = sum(
                1 for r in bam if r.is_read1 and not r.is_secondary and not r.is_supplementary
            )
        assert row.pairs_aligned == in_bam == len(data.pairs) - data.count("low_quality")
        assert row.pairs_in == row.pairs_aligned + sum(row.pairs_removed().values())
        assert row.pairs_unaccounted() == 0
        assert row.pairs_lost_fraction == round(data.count("low_quality") / len(data.pairs), 4)

        mqc = tmp_path / "read_ledger_mqc.tsv"
        write_ledger_mqc([row], mqc)
        lines = mqc.read_text().splitlines()
        assert "# plot_type: 'table'" in lines
        header, values = lines[-2].split("\t"), lines[-1].split("\t")
        ledger = dict(zip(header, values, strict=True))
        assert ledger["pairs_in"] == str(len(data.pairs))
        assert ledger["pairs_unaccounted"] == "0"

    def test_markdup_stats_are_optional(self, tool_outputs: ToolOutputs) -> None:
        out = tool_outputs
        row = collect_sample_qc(
            "S1", out.fastp_jsons[:1], out.flagstat_json, out.stats_txt, out.mosdepth_prefix
        )
        assert row.estimated_library_size is None
        assert row.reads_total == read_fastp_json(out.fastp_jsons[0]).raw_reads
        assert row.pairs_in is None and row.pairs_unaccounted() is None  # no pair counts


class TestQcTable:
    def rows(self) -> list[SampleQC]:
        row = SampleQC(
            sample="PK001", reads_total=6520, reads_after_filter=6480, q30_pct=89.4477,
            adapter_trimmed_reads=80, mapped_pct=98.4568, properly_paired_pct=97.2222,
            duplicate_pct=4.7022, mean_insert_size=344.1, mean_target_depth=31.3529,
            pct_target_10x=98.8929, pct_target_20x=92.25, pct_target_30x=60.75,
            estimated_library_size=32183, pairs_in=3260, pairs_removed_low_quality=12,
            pairs_removed_too_many_n=4, pairs_removed_too_short=3, pairs_removed_other=1,
            pairs_aligned=3240, pairs_lost_fraction=0.0061,
        )  # fmt: skip
        single_end = replace(
            row, sample="PK002", properly_paired_pct=None, mean_insert_size=None,
            estimated_library_size=None, pairs_in=None, pairs_removed_low_quality=None,
            pairs_removed_too_many_n=None, pairs_removed_too_short=None,
            pairs_removed_other=None, pairs_aligned=None, pairs_lost_fraction=None,
        )  # fmt: skip
        return [row, single_end]

    def test_round_trip(self, tmp_path: Path) -> None:
        out = tmp_path / "qc" / "qc.tsv"
        write_qc_table(self.rows(), out)
        assert read_qc_table(out) == self.rows()

    def test_header_and_missing_values_as_written(self, tmp_path: Path) -> None:
        out = tmp_path / "qc.tsv"
        write_qc_table(self.rows(), out)
        lines = out.read_text().splitlines()
        assert lines[0].split("\t") == list(QC_COLUMNS)
        assert lines[1].split("\t")[:4] == ["PK001", "6520", "6480", "89.4477"]
        assert lines[2].split("\t")[QC_COLUMNS.index("mean_insert_size")] == "NA"

    def test_write_leaves_no_temporary_file(self, tmp_path: Path) -> None:
        write_qc_table(self.rows(), tmp_path / "qc.tsv")
        assert [p.name for p in tmp_path.iterdir()] == ["qc.tsv"]

    def test_failed_write_keeps_the_old_table(self, tmp_path: Path) -> None:
        out = tmp_path / "qc.tsv"
        write_qc_table(self.rows(), out)
        before = out.read_text()
        with pytest.raises(TypeError):
            write_qc_table([*self.rows(), "not a row"], out)  # type: ignore[list-item]
        assert out.read_text() == before
        assert [p.name for p in tmp_path.iterdir()] == ["qc.tsv"]

    def test_wrong_header_names_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "qc.tsv"
        path.write_text("sample\treads\nPK001\t3\n")
        with pytest.raises(InputFormatError, match=r"qc\.tsv line 1: expected the columns"):
            read_qc_table(path)

    def test_bad_value_names_line_and_column(self, tmp_path: Path) -> None:
        path = tmp_path / "qc.tsv"
        write_qc_table(self.rows(), path)
        text = path.read_text().replace("\t6480\t", "\tmany\t", 1)
        path.write_text(text)
        with pytest.raises(
            InputFormatError, match=r"line 2: reads_after_filter is 'many', expected a whole"
        ):
            read_qc_table(path)

    def test_short_row_names_the_line(self, tmp_path: Path) -> None:
        path = tmp_path / "qc.tsv"
        path.write_text("\t".join(QC_COLUMNS) + "\nPK001\t1\n")
        expected = rf"line 2: 2 columns, expected {len(QC_COLUMNS)}"
        with pytest.raises(InputFormatError, match=expected):
            read_qc_table(path)


class TestMalformedReports:
    """Each error names the file and says what was expected."""

    def test_missing_fastp_json(self, tmp_path: Path) -> None:
        path = tmp_path / "u1.fastp.json"
        with pytest.raises(InputFormatError, match=r"u1\.fastp\.json: file not found"):
            read_fastp_json(path)

    def test_truncated_fastp_json(self, tmp_path: Path) -> None:
        path = tmp_path / "u1.fastp.json"
        path.write_text('{"summary": {"before_filtering": {"total_reads": 6')
        with pytest.raises(InputFormatError, match=r"u1\.fastp\.json: not valid JSON \(line 1"):
            read_fastp_json(path)

    def test_other_json_is_not_a_fastp_report(self, tmp_path: Path) -> None:
        path = tmp_path / "u1.fastp.json"
        path.write_text(json.dumps({"summary": {"after_filtering": {}}}))
        with pytest.raises(
            InputFormatError, match=r"no 'summary\.before_filtering'; is this a fastp --json"
        ):
            read_fastp_json(path)

    def test_flagstat_text_instead_of_json(self, tmp_path: Path) -> None:
        path = tmp_path / "S1.flagstat.json"
        path.write_text("6480 + 0 in total (QC-passed reads + QC-failed reads)\n")
        with pytest.raises(InputFormatError, match=r"S1\.flagstat\.json: not valid JSON"):
            read_flagstat_json(path)

    def test_stats_without_sn_section(self, tmp_path: Path) -> None:
        path = tmp_path / "S1.stats.txt"
        path.write_text("# This file was produced by samtools stats\nFFQ\t1\t0\n")
        with pytest.raises(InputFormatError, match=r"S1\.stats\.txt: no SN lines"):
            read_samtools_stats_summary(path)

    def test_markdup_stats_missing_a_field(self, tmp_path: Path) -> None:
        path = tmp_path / "S1.markdup.txt"
        path.write_text("COMMAND: samtools markdup\nREAD: 10\n")
        with pytest.raises(InputFormatError, match=r"S1\.markdup\.txt: no 'EXAMINED:' line"):
            read_markdup_stats(path)

    def write_mosdepth(self, prefix: Path, summary: str, thresholds: str) -> None:
        Path(f"{prefix}.mosdepth.summary.txt").write_text(summary)
        with gzip.open(f"{prefix}.thresholds.bed.gz", "wt") as handle:
            handle.write(thresholds)

    def test_mosdepth_without_by_has_no_total_region(self, tmp_path: Path) -> None:
        self.write_mosdepth(
            tmp_path / "S1",
            "chrom\tlength\tbases\tmean\tmin\tmax\ntotal\t100\t500\t5.00\t0\t9\n",
            "#chrom\tstart\tend\tregion\t10X\t20X\t30X\n",
        )
        with pytest.raises(
            InputFormatError, match=r"S1\.mosdepth\.summary\.txt: no 'total_region' row; .*--by"
        ):
            read_mosdepth_targets(tmp_path / "S1")

    def test_mosdepth_without_the_30x_threshold(self, tmp_path: Path) -> None:
        self.write_mosdepth(
            tmp_path / "S1",
            "chrom\tlength\tbases\tmean\tmin\tmax\ntotal_region\t100\t500\t5.00\t0\t9\n",
            "#chrom\tstart\tend\tregion\t10X\t20X\nchrT\t0\t100\tT1\t40\t0\n",
        )
        coverage = read_mosdepth_targets(tmp_path / "S1")
        assert coverage.mean_depth == 5.0
        assert coverage.bases_at_threshold == {10: 40, 20: 0}
        with pytest.raises(InputFormatError, match=r"no 30X column \(thresholds: 10,20\)"):
            coverage.pct_at(30, tmp_path / "S1.thresholds.bed.gz")

    def test_mosdepth_thresholds_not_gzipped(self, tmp_path: Path) -> None:
        Path(f"{tmp_path / 'S1'}.mosdepth.summary.txt").write_text(
            "chrom\tlength\tbases\tmean\tmin\tmax\ntotal_region\t100\t500\t5.00\t0\t9\n"
        )
        Path(f"{tmp_path / 'S1'}.thresholds.bed.gz").write_text("#chrom\tstart\n")
        with pytest.raises(InputFormatError, match=r"S1\.thresholds\.bed\.gz: cannot read it"):
            read_mosdepth_targets(tmp_path / "S1")

    def test_no_fastp_reports_is_a_wiring_bug(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="sample S1: no fastp reports"):
            collect_sample_qc("S1", [], tmp_path / "a", tmp_path / "b", tmp_path / "c")
