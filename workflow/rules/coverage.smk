# Alignment statistics and coverage over the targets.


rule samtools_stats:
    input:
        bam="results/bam/{sample}.bam",
        bai="results/bam/{sample}.bam.bai",
        targets="results/reference/targets.bed",
    output:
        stats="results/qc/samtools/{sample}.stats.txt",
        flagstat="results/qc/samtools/{sample}.flagstat.json",
    params:
        ref=REF,
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
        "(samtools stats --reference {params.ref:q} {input.bam:q} > {output.stats}.partial"
        " && samtools flagstat -O json {input.bam:q} > {output.flagstat}.partial"
        " && " + FINISH + " {output}) 2> {log}"


rule mosdepth:
    input:
        bam="results/bam/{sample}.bam",
        bai="results/bam/{sample}.bam.bai",
        targets="results/reference/targets.bed",
    output:
        summary="results/qc/mosdepth/{sample}.mosdepth.summary.txt",
        dist="results/qc/mosdepth/{sample}.mosdepth.region.dist.txt",
        regions="results/qc/mosdepth/{sample}.regions.bed.gz",
        thresholds="results/qc/mosdepth/{sample}.thresholds.bed.gz",
    params:
        prefix="results/qc/mosdepth/{sample}",
        thresholds=",".join(map(str, LP.qc.depth_thresholds)),
        mapq=CALLING.min_mapq,
    priority: 74
    log:
        "logs/mosdepth/{sample}.log",
    # One thread: off the critical path, it then fits beside a calling chunk
    # instead of waiting for every core (measured in benchmarks/RESULTS.md).
    threads: 1
    resources:
        mem_mb=lambda wc: depth_resources(REF + ".fai", sample_fastqs(wc.sample)).mem_mb,
        runtime=lambda wc: depth_resources(REF + ".fai", sample_fastqs(wc.sample)).runtime,
    conda:
        str(ENVS / "qc.yaml")
    shell:
        "(mosdepth --no-per-base --by {input.targets:q} --thresholds {params.thresholds}"
        " --mapq {params.mapq} --threads {threads} {params.prefix}.partial {input.bam:q}"
        " && " + FINISH + " --prefix {params.prefix}.partial {params.prefix} {output}) > {log} 2>&1"
