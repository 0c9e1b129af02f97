"""The words of the exercises' answer keys, in one table so that they can be translated
(``{name}`` fields are filled in by :mod:`labpipe.simulation.scenarios` from what was
planted and the config's QC thresholds)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScenarioText:
    """What an answer key says of a scenario.

    Attributes:
        goal: The learning goal, one sentence.
        answer: What the student should find and why.
        questions: Questions to ask the class.
        planted: What was planted, by name, for the instructor.
    """

    goal: str
    answer: tuple[str, ...]
    questions: tuple[str, ...]
    planted: dict[str, str]


TEXTS: dict[str, ScenarioText] = {
    "pathogenic-variant": ScenarioText(
        "find the one reportable variant among ordinary ones, and say why its tier is what "
        "it is (consequence, zygosity, frequency, panel, ClinVar).",
        (
            "The planted {zygosity} {consequence} in {gene} is tier {tier}: {tier_reason}. It "
            "is absent from the population file and from ClinVar (a novel variant), and its "
            "gene is in the panel.",
            "The background missense variants are common in the population file (AF_sas 0.071) "
            "and likely benign in ClinVar: tier 4.",
            "The synonymous variants do not change the protein (benign in ClinVar): tier 4.",
        ),
        (
            "Why is the planted variant tier {tier} and not tier 1?",
            "What would change if the population file gave it an AF of 0.02?",
            "How does the zygosity show in the table (genotype, allele fraction)?",
        ),
        {"variant": "{gene} {consequence}, {zygosity}"},
    ),
    "low-depth": ScenarioText(
        "recognise a sample sequenced too shallowly: QC fails on depth, and its variants are "
        "not interpreted.",
        (
            "The sample fails QC on depth: about {depth:g}x over the targets, below the "
            "{min_depth:g}x the config requires, and far fewer than {min_pct_20x:g}% of target "
            "bases reach 20x (and too few reads). Its variants are not interpreted: the report "
            "says the sample is not reportable and why.",
            "The remedy is more sequencing of the same library (top-up), not re-analysis.",
        ),
        ("Which variants could be missed at {depth:g}x, and which would still be found?",),
        {"depth": "{depth:g}x nominal over the targets"},
    ),
    "high-duplicates": ScenarioText(
        "recognise a library with too many duplicate reads (few unique molecules), and why "
        "it fails QC even though the depth before deduplication looks high.",
        (
            "The sample fails QC on duplicates: about {duplicates:g}% of reads are duplicates "
            "(fail above {max_duplicates:g}%). The library had too few unique molecules "
            "(little input DNA, or too many PCR cycles); sequencing it deeper gives more "
            "copies, not more information.",
        ),
        ("Why are duplicates removed before calling?",),
        {"duplicates": "{duplicates:g}% of read pairs are copies of another"},
    ),
    "adapter-readthrough": ScenarioText(
        "recognise a library of short fragments: the reads run into the adapter, fastp trims "
        "it, and the insert size fails QC.",
        (
            "The sample fails QC on insert size: most fragments are shorter than the read, so "
            "each read runs on into the adapter. fastp finds and trims it (its report shows "
            "the adapter and the trimmed bases); the mean insert size (about {insert:.0f} bp) "
            "falls below the {min_insert:g} bp the config requires.",
            "The cause is in the library prep (over-fragmented DNA, size selection); the "
            "remedy is a new library.",
        ),
        ("What would happen to the calls if the adapters were not trimmed?",),
        {"inserts": "{short:g}% of fragments shorter than the {read_length}-bp read"},
    ),
    "sample-swap": ScenarioText(
        "notice a sample swap in a batch: the sex the reads show contradicts the sample "
        "sheet for both samples.",
        (
            "Both samples fail QC on the sex check: P001 is female in the sheet but its "
            "reads show one X and a Y; P002 is male in the sheet but its reads show two X and "
            "no Y. Two opposite mismatches in one batch point to a swap of P001 and P002 "
            "(tubes or FASTQ names), not to two wrong sheet entries.",
            "P002 also fails 'Target bases >= 20x': the panel has targets on chrY and a woman "
            "has no chrY, so those bases stay at 0x; one more sign the reads are a woman's.",
            "A swap between two samples of the same sex would not show in the sex check: "
            "genotype comparison (kinship between samples, or against an earlier genotype of "
            "the patient) is needed for that.",
        ),
        (
            "Which figures in the report show one X and a Y?",
            "What would you ask the wet lab before re-running?",
        ),
        {"swap": "P001's FASTQ holds P002's (male) reads and P002's P001's (female)"},
    ),
    "wrong-build": ScenarioText(
        "read labpipe's error when the reference is another genome build than the "
        "annotation, before anything runs.",
        (
            "The reference (and the reads) are another build: its chr1 is {extra:,} bp longer "
            "than the chr1 the annotation (genes.gff3) describes, so every gene after the "
            "change would be annotated at the wrong place. labpipe validate stops before "
            "anything runs and names both lengths; it says the same of the ClinVar and "
            "population files (their ##contig lengths are the annotation's build).",
            "The fix is to use the annotation of the reference's build (or the reference the "
            "annotation was made for), never to edit the lengths.",
        ),
        ("Why would a run on a wrong build give no error from the tools themselves?",),
        {"other build": "{extra:,} bp inserted into chr1 at {at:,}"},
    ),
    "chr-prefix-mismatch": ScenarioText(
        "read labpipe's error when the BED names contigs 'chr1' and the reference '1', and "
        "how to fix it.",
        (
            "The targets BED names its contigs chr1, chr2, chr3 (UCSC style) while the "
            "reference names them 1, 2, 3 (Ensembl style). labpipe validate stops and names "
            "the mismatch; the fix is a BED renamed to the reference's names, e.g. "
            "`sed 's/^chr//' targets.bed > targets.renamed.bed`, and the config pointed at it.",
        ),
        ("Which other files must use the reference's contig names?",),
        {"contig names": "reference, GFF3, ClinVar and population file 1/2/3; targets.bed chr1-3"},
    ),
    "illumina-vs-dnbseq": ScenarioText(
        "see that Illumina and DNBSEQ reads of the same person give the same calls, and "
        "where the platforms differ (read names, qualities, adapters).",
        (
            "Both libraries are the same person: both pass QC and the variant tables list the "
            "same variants with the same zygosity and tier.",
            "What differs: read names (Illumina A00123:8:H7KJ2DSXY:1:... with ' 1:N:0:' "
            "suffixes; DNBSEQ V350012345L1C001R001... with /1 and /2), quality values "
            "(Illumina bins 2/12/23/37, DNBSEQ 10/20/30/40: see fastp's report) and the "
            "adapters fastp trims; duplicates can be optical only on Illumina here.",
        ),
        ("Where in the fastp report do the two platforms differ?",),
        {"platforms": "one person, read once as ILLUMINA and once as DNBSEQ"},
    ),
}


def filled(text: ScenarioText, values: dict[str, object]) -> ScenarioText:
    """The text with its ``{name}`` fields filled in from ``values``."""
    return ScenarioText(
        text.goal.format(**values),
        tuple(line.format(**values) for line in text.answer),
        tuple(line.format(**values) for line in text.questions),
        {name: line.format(**values) for name, line in text.planted.items()},
    )
