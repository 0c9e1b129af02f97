"""An exercise's answer key: what labpipe should report for it and why, derived from what
was planted (never from a labpipe run), for the instructor only.

Written twice, from the same data: ``answer_key.json`` for tests and marking scripts, and
``answer_key.md`` for the instructor to read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labpipe import __version__
from labpipe.annotation.tiers import TierRules, assign_tier
from labpipe.config.settings import DEFAULTS
from labpipe.simulation.demo_variants import PlantedVariant
from labpipe.simulation.exercise_data import (
    COMMON_AF,
    Frequencies,
    SampleSpec,
    clinvar_significance,
    variant_key,
)
from labpipe.simulation.genome_model import Segment
from labpipe.simulation.read_simulator import LibraryStats

KEY_SCHEMA_VERSION = 1
KEY_JSON = "answer_key.json"
KEY_MD = "answer_key.md"
#: The QC thresholds of the exercise config (it leaves them at the defaults).
_QC = DEFAULTS["qc"]


@dataclass(frozen=True)
class ExpectedVariant:
    """A planted variant and the line labpipe's variant table should have for it.

    Attributes:
        chrom, pos, ref, alt: The variant (1-based, normalised, as the VCF writes it).
        gene: Gene it lies in.
        consequence: The bcftools csq term it was built to have.
        hgvs_p: Protein change in HGVS, when it has one.
        zygosity: The table's word: ``het`` or ``hom_alt``.
        tier: The tier labpipe's rules give it (1-4).
        tier_reason: The table's ``tier_reason``.
        role: Why it is in the exercise, e.g. ``planted pathogenic variant``.
    """

    chrom: str
    pos: int
    ref: str
    alt: str
    gene: str
    consequence: str
    hgvs_p: str
    zygosity: str
    tier: int
    tier_reason: str
    role: str


@dataclass(frozen=True)
class ExpectedSample:
    """What a sample's report should say.

    Attributes:
        sample: Sample name in the sheet.
        qc_verdict: ``PASS``, ``WARN`` or ``FAIL``.
        qc_reasons: The QC checks that fail or warn, by the report's metric name, e.g.
            ``Mean target depth``; each with the words its reason must contain.
        status: ``REPORTABLE`` or ``NOT_REPORTABLE``.
        variants: Variants the table must list as here (only with a PASS verdict).
        reads_from: Whose DNA the reads are, when not the sample's own (a swap).
    """

    sample: str
    qc_verdict: str
    qc_reasons: dict[str, str] = field(default_factory=dict)
    status: str = "REPORTABLE"
    variants: tuple[ExpectedVariant, ...] = ()
    reads_from: str = ""


@dataclass(frozen=True)
class AnswerKey:
    """The instructor's answer to one exercise data set.

    Attributes:
        scenario: Scenario name.
        learning_goal: What the exercise teaches, one sentence.
        seed: Seed the data set was made with.
        exercise: The exercise folder (relative to the answer key's folder).
        commands: What the student runs, in order.
        validate_error: When ``labpipe validate`` must stop: the phrases its message must
            contain (empty: it must pass).
        samples: What each sample's report should say.
        answer: What the student should find and why, in sentences.
        questions: Questions to ask the class.
        planted: What was planted, for the instructor (depths, rates, the swap, ...).
    """

    scenario: str
    learning_goal: str
    seed: int
    exercise: str
    commands: tuple[str, ...]
    validate_error: tuple[str, ...] = ()
    samples: tuple[ExpectedSample, ...] = ()
    answer: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    planted: dict[str, str] = field(default_factory=dict)


def expected_sample(
    spec: SampleSpec,
    stats: LibraryStats,
    frequencies: Frequencies,
    targets: Sequence[Segment],
) -> ExpectedSample:
    """What a sample's report should say: the library and person planted against the QC
    thresholds of the config's defaults (the exercise config leaves them as they are)."""
    library, person = spec.library, spec.individual
    fail = "(fail)"
    reasons: dict[str, str] = {}
    if 2 * (stats.unique_pairs + stats.duplicate_pairs) < _QC["min_reads"]:
        reasons["Reads"] = fail
    if library.depth < _QC["min_mean_target_depth"]:
        reasons["Mean target depth"] = fail
    # Bases a person has no copy of (chrY in a woman) stay at 0x, whatever the depth.
    bases = sum(t.end - t.start for t in targets)
    absent = sum(t.end - t.start for t in targets if t.contig == "chrY" and person.sex != "male")
    if library.depth <= 20 or 100 * (bases - absent) / bases < _QC["min_pct_target_20x"]:
        reasons["Target bases >= 20x"] = fail
    if 100 * library.duplicate_rate > _QC["max_duplicate_pct"]:
        reasons["Duplicates"] = fail
    if stats.mean_insert < _QC["min_insert_size"]:
        reasons["Mean insert size"] = fail
    if spec.declared_sex and spec.declared_sex != person.sex:
        reasons["Sex (sample sheet vs data)"] = (
            f"sex mismatch: sample sheet says {spec.declared_sex}, data say {person.sex}"
        )
    if reasons:
        return ExpectedSample(
            spec.sample, "FAIL", reasons, "NOT_REPORTABLE",
            reads_from=person.name if person.name != spec.sample else "",
        )  # fmt: skip
    return ExpectedSample(
        spec.sample,
        "PASS",
        status="REPORTABLE",
        variants=tuple(
            expected_variant(v, variant_key(v) in person.planted, frequencies)
            for v in person.variants
        ),
    )


def expected_variant(v: PlantedVariant, planted: bool, frequencies: Frequencies) -> ExpectedVariant:
    """A variant's table line, by labpipe's tier rules on what was planted: a ``planted``
    one is in neither ClinVar nor the population file; a background one as they say."""
    assert v.effect is not None and v.gene is not None  # exercises plant coding variants only
    fields = None if planted else frequencies.get(variant_key(v))
    max_af = max(float(x) for x in fields.values()) if fields else None
    significance = "" if planted else clinvar_significance(v)
    tier = assign_tier(v.effect.consequence, True, significance, 3, max_af, TierRules())
    background = f"background ({'common ' if fields == COMMON_AF else ''}{v.planted_as})"
    return ExpectedVariant(
        chrom=v.contig,
        pos=v.pos + 1,
        ref=v.ref,
        alt=v.alt,
        gene=v.gene.name,
        consequence=v.effect.consequence,
        hgvs_p=v.effect.hgvs_p,
        zygosity="hom_alt" if all(v.haplotypes[0]) else "het",
        tier=tier.tier,
        tier_reason=tier.reason,
        role="planted" if planted else background,
    )


def write_answer_key(folder: Path, key: AnswerKey) -> tuple[Path, Path]:
    """Write ``answer_key.json`` and ``answer_key.md`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {"schema_version": KEY_SCHEMA_VERSION, "labpipe_version": __version__, **asdict(key)}
    json_path = folder / KEY_JSON
    json_path.write_text(json.dumps(data, indent=2) + "\n")
    md_path = folder / KEY_MD
    md_path.write_text(render_markdown(key))
    return json_path, md_path


def read_answer_key(path: Path) -> dict[str, object]:
    """An ``answer_key.json`` as written (for tests and marking scripts)."""
    data: dict[str, object] = json.loads(path.read_text())
    return data


def render_markdown(key: AnswerKey) -> str:
    """The answer key for the instructor to read."""
    lines = [
        f"# Answer key: {key.scenario} (INSTRUCTOR ONLY: do not hand out)",
        "",
        f"Learning goal: {key.learning_goal}",
        "",
        f"Exercise folder: `{key.exercise}` (seed {key.seed}). The student runs:",
        "",
        *(f"    {command}" for command in key.commands),
        "",
        "## What labpipe should say",
        "",
    ]
    if key.validate_error:
        lines += [
            "`labpipe validate` (and `labpipe run`) must stop before running anything, with a "
            "message containing:",
            "",
            *(f"- “{phrase}”" for phrase in key.validate_error),
            "",
        ]
    for sample in key.samples:
        lines.append(f"### Sample {sample.sample}")
        lines.append("")
        if sample.reads_from:
            lines.append(f"- Its reads are really {sample.reads_from}'s.")
        lines.append(f"- QC verdict: **{sample.qc_verdict}**; report status {sample.status}.")
        lines += [f"- {metric}: {words}" for metric, words in sample.qc_reasons.items()]
        if sample.variants:
            lines += [
                "",
                "| variant | gene | consequence | protein | zygosity | tier | tier reason | why |",
                "|---|---|---|---|---|---|---|---|",
            ]
            lines += [
                f"| {v.chrom}:{v.pos} {v.ref}>{v.alt} | {v.gene} | {v.consequence} | "
                f"{v.hgvs_p or '-'} | {v.zygosity} | {v.tier} | {v.tier_reason} | {v.role} |"
                for v in sample.variants
            ]
        lines.append("")
    lines += ["## The answer, and why", "", *(f"- {a}" for a in key.answer), ""]
    if key.questions:
        lines += ["## Questions to ask", "", *(f"1. {q}" for q in key.questions), ""]
    if key.planted:
        lines += ["## What was planted", ""]
        lines += [f"- {name}: {value}" for name, value in key.planted.items()]
        lines.append("")
    return "\n".join(lines)
