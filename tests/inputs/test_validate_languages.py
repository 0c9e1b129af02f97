"""`labpipe validate` in Urdu and Chinese: the problems of the commonest bad inputs (config
schema, missing files, YAML, sample sheet, FASTQ) are told in the language asked for, each
problem on its own line as in English, with the file names and values unchanged."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from labpipe.core.i18n import ENGLISH, LANG_ENV, set_language
from tests.builders import one_read_fastq, run_cli
from tests.language_checks import english_words

# Names a translated problem keeps: tools, formats, the BED's field names (contig, start,
# end), the chr prefix and the values to type (sexes).
KEPT = {"fastp", "labpipe", "bgzip", "male", "female", "unknown", "paired", "gzip"}
KEPT |= {"contig", "contigs", "start", "end", "chr"}
# The sheet's and PED file's family columns and their values, the config key `pedigree`.
KEPT |= {"family", "father", "mother", "affected", "yes", "pedigree"}
REFERENCE = ">chr1\n" + "ACGT" * 50 + "\n"
CONFIG = "lab:\n  name: Test\n  id: test\nreference:\n  fasta: ref.fa\nsamples: samples.tsv\n"


@pytest.fixture(autouse=True)
def english_afterwards(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """--lang sets LABPIPE_LANG for the steps it starts: undo it, and the language, after."""
    monkeypatch.setenv(LANG_ENV, "")
    monkeypatch.delenv(LANG_ENV)
    yield
    set_language(ENGLISH)


def bad_schema(folder: Path) -> Path:
    """A config with an unknown key, a misspelt one, a missing required key and a wrong type,
    a wrong choice and a number out of range."""
    (folder / "ref.fa").write_text(REFERENCE)
    (folder / "lab.yaml").write_text(
        "lab:\n  name: Test\n  idd: test\nreference:\n  fasta: ref.fa\nsamples: samples.tsv\n"
        "threads: many\nplatfrom: DNBSEQ\ncalling:\n  caller: gatk\nqc:\n  min_mapped_pct: -5\n"
    )
    return folder / "lab.yaml"


def missing_files(folder: Path) -> Path:
    (folder / "lab.yaml").write_text(
        CONFIG.replace("ref.fa", "nowhere.fa").replace("samples.tsv", "nowhere.tsv")
        + "targets: panel.bed\n"
    )
    return folder / "lab.yaml"


def bad_sheet(folder: Path) -> Path:
    """Missing FASTQs, a wrong platform and sex, no fq2, a repeated unit, a short row."""
    (folder / "ref.fa").write_text(REFERENCE)
    (folder / "lab.yaml").write_text(CONFIG)
    (folder / "samples.tsv").write_text(
        "sample\tunit\tfq1\tfq2\tplatform\tsex\n"
        "S1\tL1\tS1_R1.fq.gz\tS1_R2.fq.gz\tILUMINA\tmle\n"
        "S1\tL1\tS1_R1.fq.gz\t\tDNBSEQ\tmale\n"
        "S2\tL1\tx.fq.gz\n"
    )
    return folder / "lab.yaml"


def bad_header(folder: Path) -> Path:
    (folder / "ref.fa").write_text(REFERENCE)
    (folder / "lab.yaml").write_text(CONFIG)
    (folder / "samples.tsv").write_text("sample,unit,fq1,fq2\n")
    return folder / "lab.yaml"


def bad_fastq(folder: Path) -> Path:
    """An empty file, a plain file named .gz, FASTA, a cut read, a copy of R1 as R2."""
    (folder / "ref.fa").write_text(REFERENCE)
    (folder / "lab.yaml").write_text(CONFIG + "platform: ILLUMINA\n")
    (folder / "empty_R1.fastq.gz").write_bytes(b"")
    (folder / "plain_R2.fastq.gz").write_text("@r1/2\nACGT\n+\nIIII\n")
    with gzip.open(folder / "fasta_R1.fastq.gz", "wt") as handle:
        handle.write(">r1\nACGT\n")
    with gzip.open(folder / "cut_R2.fastq.gz", "wt") as handle:
        handle.write("@r1/2\nACGT\n+\nIIII\n@r2/2\nAC")
    one_read_fastq(folder / "same_R1.fastq.gz", "@r1/1")
    (folder / "same_R2.fastq.gz").write_bytes((folder / "same_R1.fastq.gz").read_bytes())
    (folder / "samples.tsv").write_text(
        "sample\tunit\tfq1\tfq2\n"
        "S1\tL1\tempty_R1.fastq.gz\tplain_R2.fastq.gz\n"
        "S2\tL1\tfasta_R1.fastq.gz\tcut_R2.fastq.gz\n"
        "S3\tL1\tsame_R1.fastq.gz\tsame_R2.fastq.gz\n"
    )
    return folder / "lab.yaml"


def bad_targets_and_build(folder: Path) -> Path:
    """The exercises' chr-prefix mismatch and wrong build, and a BED written with spaces,
    beside the `lab` fixture's valid reference (chr1) and reads."""
    (folder / "targets.bed").write_text("1\t0\t10\nchr1 20 30\nchr1\t50\t40\n")
    (folder / "genes.gff3").write_text(
        "##gff-version 3\n##sequence-region chr1 1 999\n"
        "chr1\tx\tgene\t1\t100\t.\t+\t.\tID=gene:G1;Name=G1\n"
    )
    config = folder / "lab.yaml"
    config.write_text(
        config.read_text() + "targets: targets.bed\nannotation:\n  gff3: genes.gff3\n"
    )
    return config


def bad_pedigree(folder: Path) -> Path:
    """A family's sheet columns with an unknown affected status, a parent nowhere and a
    member without a family."""
    one_read_fastq(folder / "S2_R1.fastq.gz", "@V350012345L1C001R0010000002/1")
    one_read_fastq(folder / "S2_R2.fastq.gz", "@V350012345L1C001R0010000002/2")
    (folder / "samples.tsv").write_text(
        "sample\tunit\tfq1\tfq2\tfamily\tfather\tmother\taffected\n"
        "S1\tL1\tS1_R1.fastq.gz\tS1_R2.fastq.gz\tFAM1\tDAD\t0\tmaybe\n"
        "S2\tL1\tS2_R1.fastq.gz\tS2_R2.fastq.gz\t\tS1\t0\tyes\n"
    )
    return folder / "lab.yaml"


def bad_yaml(folder: Path) -> Path:
    (folder / "lab.yaml").write_text("lab:\n  name: Test\n  id: test\n  id: again\n")
    return folder / "lab.yaml"


@pytest.mark.parametrize(
    "make",
    [
        bad_schema,
        missing_files,
        bad_sheet,
        bad_header,
        bad_fastq,
        bad_targets_and_build,
        bad_pedigree,
        bad_yaml,
    ],
)
@pytest.mark.parametrize("language", ["ur", "zh_Hans"])
def test_validate_tells_the_commonest_problems_in_the_language_asked_for(
    make: object, language: str, lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make(lab)  # type: ignore[operator]  (a valid lab folder, made bad)
    code, _, english = run_cli(["validate", str(config), "--lang", "en"], capsys)
    assert code != 0 and english.startswith("labpipe: error: "), english
    assert english_words(english, KEPT), "the check would not see English"
    code_there, _, told = run_cli(["validate", str(config), "--lang", language], capsys)
    assert code_there == code
    # The same problems, one a line, in the same order; none left in English.
    assert len(told.splitlines()) == len(english.splitlines()), told
    assert told.startswith("labpipe: error: ")
    # Lists of choices (`one of bcftools, freebayes`, the known columns) are values to type.
    choices = re.sub(r"\b[\w-]+(?:, [\w-]+)+", " ", told.removeprefix("labpipe: error: "))
    assert english_words(choices, KEPT) == [], told
    # What the user must find again is unchanged: the files, lines and values named.
    for name in ("lab.yaml", "samples.tsv", "fq1", "'mle'", "'ILUMINA'", "'platfrom'"):
        assert english.count(name) == told.count(name), name
