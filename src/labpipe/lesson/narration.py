"""Every sentence ``labpipe demo --explain`` says, in one place, marked for the catalogs.

Module-level constants (and one table of steps), marked with :func:`~labpipe.core.i18n.N_`
and translated where they are shown (``_(narration.INTRO)``, :meth:`StepText.translated`),
so that the language chosen by ``--lang`` at run time is the one spoken. Placeholders are
named ``str.format`` fields (``{passed:,}``), so that a translation may reorder them; the
catalog check keeps every field and its format in each translation.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from labpipe.core.i18n import N_, _


@dataclass(frozen=True)
class StepText:
    """What the narration says about one step.

    Attributes:
        title: The step's name, as a heading.
        about: Two or three sentences: what the step does and why.
        reading: The number read from the output, a template with named fields.
        command_note: Said before the command, when the command needs a word of context.
    """

    title: str
    about: str
    reading: str
    command_note: str = ""

    def translated(self) -> StepText:
        """The same words in the current language (empty ones stay empty)."""
        return replace(
            self, **{f.name: _(value) for f in fields(self) if (value := getattr(self, f.name))}
        )


INTRO = N_(
    "labpipe demo --explain: the demo runs one step at a time, exactly as `labpipe run`"
    " runs a lab's samples, and each step is told as soon as it has run. For each of its"
    " {steps} steps labpipe first runs the workflow up to that step for every sample (a"
    " line for each job as it finishes), then tells it for sample {sample}: what it does"
    " and why, the command that ran (copied from this run's log), the file to open, and"
    " one number read from that file. The commands run inside {outdir}: their paths start"
    " there."
)
RUNNING_STEP = N_("Running step {number} of {steps}: {title}")
RUNNING_REST = N_(
    "Running the rest of the workflow: the QC table, MultiQC, the index of the reports"
    " and the manifest"
)
RESUMING = N_("Resuming the unfinished demo in {outdir} (--overwrite starts it afresh)")
STEP_HEADING = N_("Step {number} of {steps}: {title}")
COMMAND_LABEL = N_("Command that ran ({rule}):")
NO_COMMAND = N_(
    "(no command recorded for rule {rule} in this run: its results were already there,"
    " or the workflow names the step differently now)"
)
MORE_JOBS = N_("(and {more} more job(s) of this rule, for other samples, lanes or chunks)")
OUTPUT_LABEL = N_("Look at:")
NUMBER_LABEL = N_("What it says:")
NUMBER_MISSING = N_("(could not read a number from {path}: {why})")
PAUSE_PROMPT = N_("Press Enter for the next step (Ctrl-C to stop)… ")
NOT_A_TERMINAL = N_("(--pause: input is not a terminal, so the steps follow without waiting)")
OUTRO = N_(
    "That was the whole path from reads to report. Open {index} in a web browser for every"
    " sample's report, and {multiqc} for the QC of all steps side by side."
)

#: What each step says, keyed as :data:`labpipe.lesson.explain.STEPS` (which orders them) keys it.
STEPS: dict[str, StepText] = {
    "trimming": StepText(
        title=N_("Trimming and read QC (fastp)"),
        about=N_(
            "fastp removes adapter sequence and low-quality ends from each read and drops"
            " reads that are too short or too poor to align. Trimming first means the"
            " aligner does not try to place adapter bases on the genome, which would give"
            " false mismatches and false variants."
        ),
        reading=N_("{passed:,} of {total:,} reads passed fastp's filters in lane {unit}"),
        command_note=N_(
            "One command trims and aligns (step 3 tells the alignment): labpipe checks the"
            " read pairs and hands them to fastp, and the trimmed reads flow through pipes"
            " (|) into the aligner and samtools, without a trimmed FASTQ file on disk."
        ),
    ),
    "alignment": StepText(
        title=N_("Alignment (bwa mem)"),
        about=N_(
            "The aligner finds where on the reference genome each read pair comes from"
            " and writes the result as a BAM file, sorted by position. A sample whose reads"
            " mostly fail to map is the wrong species, the wrong reference or contaminated,"
            " so the mapped percentage is the first thing to check."
        ),
        reading=N_("{mapped_pct:.2f}% of {reads:,} reads mapped to the reference"),
        command_note=N_(
            "The alignment ran inside the command of step 1; this command counted the"
            " BAM's reads afterwards."
        ),
    ),
    "duplicates": StepText(
        title=N_("Duplicate marking (samtools markdup)"),
        about=N_(
            "Reads that start and end at the same place are copies of one DNA fragment"
            " made by PCR, not independent evidence. They are marked, not deleted, so that"
            " the caller counts each fragment once."
        ),
        reading=N_("{duplicates:,} of {reads:,} reads ({pct:.2f}%) are marked as duplicates"),
    ),
    "coverage": StepText(
        title=N_("Coverage over the targets (mosdepth)"),
        about=N_(
            "mosdepth counts how many reads cover each base of the target regions. A"
            " variant can only be called where there are enough reads, so low coverage"
            " means a variant there may have been missed."
        ),
        reading=N_("mean depth over the targets: {mean:.2f}x ({bases:,} target bases)"),
    ),
    "calling": StepText(
        title=N_("Variant calling (bcftools mpileup and call)"),
        about=N_(
            "bcftools piles up the reads at each position of the padded targets and"
            " decides where the sample differs from the reference and with which genotype"
            " (heterozygous or homozygous). The targets are split into chunks so that"
            " several cores can call at once; the calls are the same either way."
        ),
        reading=N_(
            "{records:,} call record(s) in the sample's {chunks:,} chunk file(s), before"
            " normalisation and filters"
        ),
    ),
    "second_opinion": StepText(
        title=N_("Second opinion on indels (freebayes)"),
        about=N_(
            "Small insertions and deletions are the calls callers most often get wrong, so"
            " a second caller, freebayes, looks again only around the indels bcftools saw."
            " An indel both callers find is more trustworthy; the CALLERS field of the VCF"
            " says who called it."
        ),
        reading=N_(
            "freebayes wrote {records:,} record(s) in the {windows:,} window(s) around the"
            " indels bcftools saw"
        ),
    ),
    "filters": StepText(
        title=N_("Normalisation and soft filters (bcftools norm, filter)"),
        about=N_(
            "bcftools norm writes every variant in one standard form (left-aligned, one"
            " ALT allele per line), so it can be compared with ClinVar and truth sets."
            " Soft filters then label weak calls in the FILTER column instead of deleting"
            " them, so that a reviewer can still see them."
        ),
        reading=N_("{passed:,} of {records:,} records PASS; {filtered:,} carry a soft filter"),
    ),
    "consequences": StepText(
        title=N_("Consequences (bcftools csq)"),
        about=N_(
            "bcftools csq compares each variant with the gene models (GFF3) and says what"
            " it does to the protein: missense, stop gained, frameshift, splice site. This"
            " is what turns a position into a possible cause of disease."
        ),
        reading=N_("{variant}: {consequence} in {gene} (BCSQ field of the annotated VCF)"),
    ),
    "annotation": StepText(
        title=N_("Annotation and tiers (labpipe step annotate)"),
        about=N_(
            "labpipe adds ClinVar's classification, population allele frequencies and the"
            " lab's gene panel to each variant, and sorts it into a tier by fixed rules."
            " Tier 1 is the most likely to explain the disease; the tier_reason column says"
            " which rule put it there."
        ),
        reading=N_("{variant} in {gene} is tier {tier} because: {reason}"),
    ),
    "report": StepText(
        title=N_("The sample's report (labpipe step sample-report)"),
        about=N_(
            "The report puts the QC verdict, the coverage, the tiered variants and what was"
            " not checked on one page. It is a self-contained HTML file: it opens offline"
            " and prints as it looks."
        ),
        reading=N_(
            "status {status}, QC {qc}; PASS calls per tier (1, 2, 3): {tier1}, {tier2}, {tier3}"
        ),
    ),
}
