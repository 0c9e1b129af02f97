# Run-level QC (labpipe's summary table, MultiQC), each sample's clinical report
# with the run's index.html, and the run manifest.


rule qc_summary:
    input:
        fastp=lambda wc: [
            f"results/qc/fastp/{u.sample}.{u.unit}.fastp.json" for u in UNITS.values()
        ],
        flagstat=expand("results/qc/samtools/{sample}.flagstat.json", sample=SAMPLES),
        stats=expand("results/qc/samtools/{sample}.stats.txt", sample=SAMPLES),
        markdup=expand("results/qc/samtools/{sample}.markdup.txt", sample=SAMPLES),
        mosdepth=expand("results/qc/mosdepth/{sample}.thresholds.bed.gz", sample=SAMPLES),
        sex=expand("results/qc/sex/{sample}.sex.json", sample=SAMPLES),
        pairs=lambda wc: [
            f"results/qc/pairs/{u.sample}.{u.unit}.pairs.json" for u in UNITS.values()
        ],
    output:
        table="results/qc/qc_summary.tsv",
        ledger="results/qc/read_ledger_mqc.tsv",
    priority: 74
    log:
        "logs/qc_summary.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "{STEP} qc-summary --config {CONFIG_FILE} --qc-dir results/qc --out {output.table}"
        " --ledger-mqc {output.ledger} 2> {log}"


rule multiqc_general_stats:
    input:
        qc="results/qc/qc_summary.tsv",
        variants=expand("results/variants/{sample}.tsv", sample=SAMPLES),
    output:
        "results/qc/labpipe/labpipe_general_stats_mqc.tsv",
    params:
        # The verdict follows the qc thresholds.
        config_sha256=CONFIG_SHA,
    priority: 75
    log:
        "logs/multiqc_general_stats.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "{STEP} multiqc-general-stats --config {CONFIG_FILE} --qc {input.qc:q}"
        " --out {output} {input.variants:q} 2> {log}"


rule multiqc:
    input:
        labpipe="results/qc/labpipe/labpipe_general_stats_mqc.tsv",
        fastp=lambda wc: [
            f"results/qc/fastp/{u.sample}.{u.unit}.fastp.json" for u in UNITS.values()
        ],
        stats=expand("results/qc/samtools/{sample}.stats.txt", sample=SAMPLES),
        flagstat=expand("results/qc/samtools/{sample}.flagstat.json", sample=SAMPLES),
        mosdepth=expand("results/qc/mosdepth/{sample}.mosdepth.summary.txt", sample=SAMPLES),
        bcftools=expand("results/qc/bcftools/{sample}.bcftools_stats.txt", sample=SAMPLES),
        ledger="results/qc/read_ledger_mqc.tsv",
    output:
        html="results/qc/multiqc_report.html",
    params:
        config=str(Path(workflow.basedir) / "multiqc_config.yaml"),
    priority: 75
    log:
        "logs/multiqc.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    conda:
        str(ENVS / "report.yaml")
    shell:
        "(multiqc --force --no-ansi --no-version-check --no-ai --config {params.config:q} --outdir results/qc/multiqc.partial"
        " --filename multiqc_report.html results/qc/fastp results/qc/samtools"
        " results/qc/mosdepth results/qc/bcftools {input.labpipe:q} {input.ledger:q}"
        " && " + FINISH + " --prefix results/qc/multiqc.partial/multiqc_report results/qc/multiqc_report"
        " {output}) > {log} 2>&1"


def clinical_outputs():
    """Reports and workbooks; the manifest waits for them, so `rule all` builds them."""
    if not LP.report.enabled:
        return expand("results/variants/{sample}.xlsx", sample=SAMPLES)
    return [
        *expand("results/variants/{sample}.xlsx", sample=SAMPLES),
        *expand("results/report/{sample}.html", sample=SAMPLES),
        "results/report/index.html",
    ]


rule sample_report:
    input:
        qc="results/qc/qc_summary.tsv",
        variants="results/variants/{sample}.tsv",
        mosdepth="results/qc/mosdepth/{sample}.thresholds.bed.gz",
        sources="results/annotation/sources.json",
        roh="results/roh/{sample}.roh.txt" if ROH.enabled else [],
        fai=ancient(REF + ".fai"),
    output:
        html="results/report/{sample}.html",
        summary="results/report/{sample}.summary.json",
        low_regions="results/report/{sample}.low_regions.tsv",
    params:
        # Reports show the whole config's hash: any config change rewrites them.
        config_sha256=CONFIG_SHA,
        roh=lambda wc, input: "--roh " + shlex.quote(input.roh) if input.roh else "",
    priority: 50
    log:
        "logs/sample_report/{sample}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "{STEP} sample-report --config {CONFIG_FILE} --outdir {OUTDIR}"
        " --sample {wildcards.sample} --qc {input.qc:q} --variants {input.variants:q}"
        " --mosdepth-prefix results/qc/mosdepth/{wildcards.sample} --sources {input.sources:q}"
        " {params.roh} --fai {input.fai:q} --out-html {output.html}"
        " --out-summary {output.summary} 2> {log}"


rule report_index:
    input:
        # NO_RESULT samples' summaries are written by `labpipe run`, not by a rule.
        summaries=expand("results/report/{sample}.summary.json", sample=SHEET_SAMPLES),
        multiqc="results/qc/multiqc_report.html",
    output:
        "results/report/index.html",
    params:
        config_sha256=CONFIG_SHA,
    priority: 50
    log:
        "logs/report_index.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "{STEP} report-index --config {CONFIG_FILE} --outdir {OUTDIR}"
        " --multiqc-link ../qc/multiqc_report.html --out {output} {input.summaries:q} 2> {log}"


rule input_checksums:
    output:
        # Only a head start: the manifest re-checks each file's size and mtime.
        temp("results/provenance/input_checksums.json"),
    log:
        "logs/input_checksums.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    # Runs first, beside alignment: hashing large FASTQs must not wait at the end of the run.
    shell:
        "{STEP} input-checksums --config {CONFIG_FILE} --outdir {OUTDIR}"
        " --out {output} 2> {log}"


rule manifest:
    input:
        checksums="results/provenance/input_checksums.json",
        outputs=[p for p in final_outputs() if p != "results/run_manifest.json"],
        clinical=clinical_outputs(),
    output:
        "results/run_manifest.json",
    params:
        config_sha256=CONFIG_SHA,
    log:
        "logs/manifest.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "{STEP} manifest --config {CONFIG_FILE} --outdir {OUTDIR} --out {output} 2> {log}"
