# Alignment statistics and coverage over the targets.


rule samtools_stats:
    input:
        bam=layout.BAM,
        bai=layout.BAI,
        targets=layout.TARGETS_BED,
        ref=ancient(REF),
    output:
        stats=layout.SAMTOOLS_STATS,
        flagstat=layout.FLAGSTAT_JSON,
    priority: 74
    log:
        "logs/samtools_stats/{sample}.log",
    threads: 1
    resources:
        mem_mb=lambda wc: reads_resources(sample_fastqs(wc.sample)).mem_mb,
        runtime=lambda wc: reads_resources(sample_fastqs(wc.sample)).runtime,
    conda:
        str(ENVS / "align.yaml")
    shell:
        "(samtools stats --reference {input.ref:q} {input.bam:q} > {output.stats}.partial"
        " && samtools flagstat -O json {input.bam:q} > {output.flagstat}.partial"
        " && labpipe step finish --rule samtools_stats --tools samtools {output}) 2> {log}"


rule mosdepth:
    input:
        bam=layout.BAM,
        bai=layout.BAI,
        targets=layout.TARGETS_BED,
    output:
        summary=layout.MOSDEPTH_SUMMARY,
        dist=layout.MOSDEPTH_DIST,
        regions=layout.MOSDEPTH_REGIONS,
        thresholds=layout.MOSDEPTH_THRESHOLDS,
    params:
        prefix=layout.MOSDEPTH_PREFIX,
        thresholds=",".join(map(str, LP.qc.depth_thresholds)),
        mapq=CALLING.min_mapq,
    priority: 74
    log:
        "logs/mosdepth/{sample}.log",
    # One thread: off the critical path, it then fits beside a calling chunk
    # instead of waiting for every core (measured in benchmarks/RESULTS.md).
    threads: 1
    resources:
        mem_mb=lambda wc: depth_resources(FAI, sample_fastqs(wc.sample)).mem_mb,
        runtime=lambda wc: depth_resources(FAI, sample_fastqs(wc.sample)).runtime,
    conda:
        str(ENVS / "qc.yaml")
    shell:
        "(mosdepth --no-per-base --by {input.targets:q} --thresholds {params.thresholds}"
        " --mapq {params.mapq} --threads {threads} {params.prefix}.partial {input.bam:q}"
        " && labpipe step finish --rule mosdepth --tools mosdepth"
        " --prefix {params.prefix}.partial {params.prefix} {output}) > {log} 2>&1"
