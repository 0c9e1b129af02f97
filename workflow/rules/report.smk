# Run-level QC: labpipe's own summary table, MultiQC, and the run manifest.


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


rule manifest:
    input:
        outputs=[p for p in final_outputs() if p != "results/run_manifest.json"],
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
