# Run-level QC (labpipe's summary table, MultiQC), each sample's clinical report
# with the run's index.html, and the run manifest.


rule qc_summary:
    input:
        fastp=[layout.path(layout.FASTP_JSON, sample=s, unit=u) for s, u in UNITS],
        flagstat=expand(layout.FLAGSTAT_JSON, sample=SAMPLES),
        stats=expand(layout.SAMTOOLS_STATS, sample=SAMPLES),
        markdup=expand(layout.MARKDUP_STATS, sample=SAMPLES),
        mosdepth=expand(layout.MOSDEPTH_THRESHOLDS, sample=SAMPLES),
        sex=expand(layout.SEX_JSON, sample=SAMPLES),
        pairs=[layout.path(layout.PAIRS_JSON, sample=s, unit=u) for s, u in UNITS],
    output:
        table=layout.QC_SUMMARY,
        ledger=layout.READ_LEDGER_MQC,
    priority: 74
    log:
        "logs/qc_summary.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step qc-summary --config \"$LABPIPE_CONFIG\" --outdir \"$LABPIPE_OUTDIR\""
        " --out {output.table}"
        " --ledger-mqc {output.ledger} 2> {log}"


rule multiqc_general_stats:
    input:
        qc=layout.QC_SUMMARY,
        identity=layout.IDENTITY_JSON,
        variants=expand(layout.VARIANTS_TSV, sample=SAMPLES),
    output:
        layout.GENERAL_STATS_MQC,
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
        "labpipe step multiqc-general-stats --config \"$LABPIPE_CONFIG\" --qc {input.qc:q}"
        " --identity {input.identity:q}"
        " --out {output} {input.variants:q} 2> {log}"


rule multiqc:
    input:
        labpipe=layout.GENERAL_STATS_MQC,
        fastp=[layout.path(layout.FASTP_JSON, sample=s, unit=u) for s, u in UNITS],
        stats=expand(layout.SAMTOOLS_STATS, sample=SAMPLES),
        flagstat=expand(layout.FLAGSTAT_JSON, sample=SAMPLES),
        mosdepth=expand(layout.MOSDEPTH_SUMMARY, sample=SAMPLES),
        bcftools=expand(layout.BCFTOOLS_STATS, sample=SAMPLES),
        ledger=layout.READ_LEDGER_MQC,
    output:
        html=layout.MULTIQC_HTML,
    params:
        config=str(Path(workflow.basedir) / "multiqc_config.yaml"),
        # MultiQC searches these folders; it writes into the first, then moved into place.
        folders=[layout.FASTP_DIR, layout.SAMTOOLS_DIR, layout.MOSDEPTH_DIR, layout.BCFTOOLS_DIR],
        partial=layout.MULTIQC_PARTIAL_DIR,
        partial_prefix=f"{layout.MULTIQC_PARTIAL_DIR}/multiqc_report",
        final_prefix=lambda wc, output: output.html.removesuffix(".html"),
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
        "(multiqc --force --no-ansi --no-version-check --no-ai --config {params.config:q}"
        " --outdir {params.partial} --filename multiqc_report.html {params.folders}"
        " {input.labpipe:q} {input.ledger:q}"
        " && labpipe step finish --rule multiqc --tools multiqc"
        " --prefix {params.partial_prefix} {params.final_prefix} {output}) > {log} 2>&1"


rule sample_report:
    input:
        qc=layout.QC_SUMMARY,
        variants=layout.VARIANTS_TSV,
        mosdepth=layout.MOSDEPTH_THRESHOLDS,
        sources=layout.ANNOTATION_SOURCES,
        roh=layout.ROH if ROH.enabled else [],
        identity=layout.IDENTITY_JSON,
        fai=ancient(FAI),
        # A member of a family called jointly: every member's QC verdict (the report names a
        # parent that failed or warned QC beside the labels resting on its genotypes).
        members=lambda wc: (
            [layout.path(layout.VARIANTS_TSV, sample=s) for s in FAMILIES[FAMILY_OF[wc.sample]]]
            if wc.sample in FAMILY_OF
            else []
        ),
    output:
        html=layout.REPORT_HTML,
        summary=layout.REPORT_SUMMARY,
        low_regions=layout.REPORT_LOW_REGIONS,
    params:
        # Reports show the whole config's hash: any config change rewrites them.
        config_sha256=CONFIG_SHA,
        language=LANGUAGE,
        roh=lambda wc, input: f"--roh {shlex.quote(input.roh)}" if input.roh else "",
        mosdepth_prefix=lambda wc: layout.path(layout.MOSDEPTH_PREFIX, sample=wc.sample),
        family=lambda wc: (
            f"--family {shlex.quote(LABELLED[wc.sample])}" if wc.sample in LABELLED else ""
        ),
        joint=lambda wc, input: (
            f"--joint-family {shlex.quote(FAMILY_OF[wc.sample])} "
            + " ".join(f"--member {shlex.quote(p)}" for p in input.members)
            if wc.sample in FAMILY_OF
            else ""
        ),
    priority: 50
    log:
        "logs/sample_report/{sample}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step sample-report --config \"$LABPIPE_CONFIG\" --outdir \"$LABPIPE_OUTDIR\""
        " --sample {wildcards.sample} --qc {input.qc:q} --variants {input.variants:q}"
        " --mosdepth-prefix {params.mosdepth_prefix} --sources {input.sources:q}"
        " {params.roh} --identity {input.identity:q} --fai {input.fai:q} {params.family}"
        " {params.joint} --out-html {output.html}"
        " --out-summary {output.summary} 2> {log}"


rule family_report:
    input:
        inheritance=layout.FAMILY_INHERITANCE,
        # The family's labelled children (affected, both parents sequenced).
        variants=lambda wc: [
            layout.path(layout.VARIANTS_TSV, sample=s) for s, f in LABELLED.items() if f == wc.family
        ],
        # Every member's QC verdict: the page names those its labels rest on.
        qc=layout.QC_SUMMARY,
        identity=layout.IDENTITY_JSON,
        members=family_files(layout.VARIANTS_TSV),
    output:
        layout.FAMILY_REPORT,
    params:
        config_sha256=CONFIG_SHA,
        language=LANGUAGE,
        members=lambda wc, input: " ".join(f"--member {shlex.quote(p)}" for p in input.members),
    wildcard_constraints:
        family=name_pattern(LABELLED_FAMILIES) or "(?!)",
    priority: 50
    log:
        "logs/family_report/{family}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step family-report --config \"$LABPIPE_CONFIG\" --outdir \"$LABPIPE_OUTDIR\""
        " --family {wildcards.family:q} --inheritance {input.inheritance:q} --out {output}"
        " --qc {input.qc:q} --identity {input.identity:q} {params.members}"
        " {input.variants:q} 2> {log}"


rule report_index:
    input:
        # NO_RESULT samples' summaries are written by `labpipe run`, not by a rule.
        summaries=expand(layout.REPORT_SUMMARY, sample=SHEET_SAMPLES),
        multiqc=layout.MULTIQC_HTML,
        families=[layout.family_report(f) for f in LABELLED_FAMILIES],
        # The index links the batch page.
        batch=layout.REPORT_BATCH,
    output:
        layout.REPORT_INDEX,
    params:
        config_sha256=CONFIG_SHA,
        language=LANGUAGE,
        multiqc_link=layout.MULTIQC_FROM_REPORTS,
        families=" ".join(f"--family {shlex.quote(f)}" for f in LABELLED_FAMILIES),
    priority: 50
    log:
        "logs/report_index.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step report-index --config \"$LABPIPE_CONFIG\" --outdir \"$LABPIPE_OUTDIR\""
        " --multiqc-link {params.multiqc_link} {params.families} --out {output}"
        " {input.summaries:q} 2> {log}"


rule input_checksums:
    output:
        # Only a head start: the manifest re-checks each file's size and mtime.
        temp(layout.INPUT_CHECKSUMS),
    log:
        "logs/input_checksums.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    # Runs first, beside alignment: hashing large FASTQs must not wait at the end of the run.
    shell:
        "labpipe step input-checksums --config \"$LABPIPE_CONFIG\" --outdir \"$LABPIPE_OUTDIR\""
        " --out {output} 2> {log}"


rule manifest:
    input:
        checksums=layout.INPUT_CHECKSUMS,
        outputs=[p for p in final_outputs() if p != layout.MANIFEST],
        clinical=clinical_outputs(),
    output:
        layout.MANIFEST,
    params:
        config_sha256=CONFIG_SHA,
    log:
        "logs/manifest.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step manifest --config \"$LABPIPE_CONFIG\" --outdir \"$LABPIPE_OUTDIR\""
        " --out {output} 2> {log}"
