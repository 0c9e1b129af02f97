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
    output:
        "results/qc/qc_summary.tsv",
    log:
        "logs/qc_summary.log",
    run:
        from labpipe.workflow_support import write_qc_summary

        run_logged(
            log[0], write_qc_summary, list(UNITS.values()), Path("results/qc"), Path(output[0])
        )


rule multiqc:
    input:
        fastp=lambda wc: [
            f"results/qc/fastp/{u.sample}.{u.unit}.fastp.json" for u in UNITS.values()
        ],
        stats=expand("results/qc/samtools/{sample}.stats.txt", sample=SAMPLES),
        flagstat=expand("results/qc/samtools/{sample}.flagstat.json", sample=SAMPLES),
        mosdepth=expand("results/qc/mosdepth/{sample}.mosdepth.summary.txt", sample=SAMPLES),
        bcftools=expand("results/qc/bcftools/{sample}.bcftools_stats.txt", sample=SAMPLES),
    output:
        html="results/qc/multiqc_report.html",
    params:
        config=str(Path(workflow.basedir) / "multiqc_config.yaml"),
    log:
        "logs/multiqc.log",
    conda:
        str(ENVS / "report.yaml")
    shell:
        "multiqc --force --no-ansi --no-version-check --no-ai --config {params.config} --outdir results/qc"
        " --filename multiqc_report.html results/qc/fastp results/qc/samtools"
        " results/qc/mosdepth results/qc/bcftools > {log} 2>&1"


def clinical_outputs():
    """Reports and workbooks; the manifest waits for them, so `rule all` builds them."""
    if not LP["report"]["enabled"]:
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
    log:
        "logs/sample_report/{sample}.log",
    run:
        from labpipe.report_html import ReportInputs, write_sample_report

        inputs = ReportInputs(
            sample=wildcards.sample,
            qc_table=Path(input.qc),
            variants_tsv=Path(input.variants),
            mosdepth_prefix=Path(f"results/qc/mosdepth/{wildcards.sample}"),
            sources_json=Path(input.sources),
            roh_output=Path(input.roh) if input.roh else None,
            reference_fai=Path(input.fai),
        )
        run_logged(
            log[0],
            write_sample_report,
            LP,
            ANNOTATION,
            inputs,
            Path(output.html),
            Path(output.summary),
        )


rule report_index:
    input:
        summaries=expand("results/report/{sample}.summary.json", sample=SAMPLES),
        multiqc="results/qc/multiqc_report.html",
    output:
        "results/report/index.html",
    log:
        "logs/report_index.log",
    run:
        from labpipe.report_html import write_run_index

        run_logged(
            log[0],
            write_run_index,
            LP,
            [Path(p) for p in input.summaries],
            "../qc/multiqc_report.html",
            Path(output[0]),
        )


rule manifest:
    input:
        outputs=[p for p in final_outputs() if p != "results/run_manifest.json"],
        clinical=clinical_outputs(),
    output:
        "results/run_manifest.json",
    log:
        "logs/manifest.log",
    run:
        from labpipe.manifest import write_manifest

        run_logged(
            log[0],
            write_manifest,
            Path(config["labpipe_config"]),
            LP,
            list(UNITS.values()),
            Path(output[0]),
        )
