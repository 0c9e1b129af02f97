# Variant calling over the padded targets: call, normalise, soft-filter.


rule provenance_header:
    output:
        "results/vcf/labpipe_header.txt",
    params:
        # Changes with the calling config only, so a changed report setting leaves
        # the VCFs (and the calls) alone; the header records this hash.
        calling_sha256=STAGE_SHA["calling"],
    priority: 90
    log:
        "logs/provenance_header.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "{STEP} vcf-header --config {CONFIG_FILE} --out {output} 2> {log}"


rule ploidy:
    input:
        fai=ancient(REF + ".fai"),
        par_file=PAR_FILE or [],
    output:
        ploidy="results/vcf/ploidy/{sample}.ploidy.txt",
        samples="results/vcf/ploidy/{sample}.sex.txt",
        cnv_map="results/vcf/ploidy/{sample}.cnv_map.bed",
    params:
        # In the params, so that a changed sex or build in the inputs re-calls the sample.
        sex=lambda wc: SEX[wc.sample],
        build=LP.reference.build or "",
    priority: 90
    log:
        "logs/ploidy/{sample}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "{STEP} ploidy --config {CONFIG_FILE} --fai {input.fai:q}"
        " --sample {wildcards.sample} --sex {params.sex} --ploidy-out {output.ploidy}"
        " --samples-out {output.samples} --cnv-map-out {output.cnv_map} 2> {log}"


rule call_chunk:
    input:
        bam="results/bam/{sample}.bam",
        bai="results/bam/{sample}.bam.bai",
        regions="results/reference/chunks/chunk{chunk}.bed",
        fai=ancient(REF + ".fai"),
        ploidy="results/vcf/ploidy/{sample}.ploidy.txt",
        ploidy_samples="results/vcf/ploidy/{sample}.sex.txt",
        cnv_map="results/vcf/ploidy/{sample}.cnv_map.bed",
    output:
        bcf=temp("results/vcf/chunks/{sample}.{chunk}.bcf"),
        # Sites where mpileup saw indel candidates (empty unless the second opinion is on).
        candidates=temp("results/vcf/chunks/{sample}.{chunk}.indel_sites.txt"),
    params:
        ref=REF,
        mapq=CALLING.min_mapq,
        baseq=CALLING.min_baseq,
        max_depth=CALLING.max_depth,
        prior=CALLING.prior,
        indel_bias=CALLING.indel_bias,
    priority: 80
    log:
        "logs/call_chunk/{sample}.{chunk}.log",
    threads: 1
    resources:
        mem_mb=lambda wc: reads_resources(sample_fastqs(wc.sample)).mem_mb,
        runtime=lambda wc: reads_resources(sample_fastqs(wc.sample)).runtime,
    conda:
        str(ENVS / "call.yaml")
    # A chunk's calls are exactly the calls at its positions in one whole run
    # (see labpipe.core.regions.split_regions).
    shell:
        "(" + caller_command(CALLING.caller, SECOND_OPINION)
        + " | bcftools view -Ob -o {output.bcf}.partial"
        + ("" if SECOND_OPINION else " && : > {output.candidates}.partial")
        + " && " + FINISH + " {output}) 2> {log}"


rule indel_second_opinion:
    input:
        candidates=expand(
            "results/vcf/chunks/{{sample}}.{chunk}.indel_sites.txt", chunk=range(CHUNKS)
        ),
        calling="results/reference/calling_regions.bed",
        bam="results/bam/{sample}.bam",
        bai="results/bam/{sample}.bam.bai",
        fai=ancient(REF + ".fai"),
        cnv_map="results/vcf/ploidy/{sample}.cnv_map.bed",
    output:
        windows=temp("results/vcf/second_opinion/{sample}.windows.bed"),
        bcf=temp("results/vcf/second_opinion/{sample}.freebayes.bcf"),
    params:
        ref=REF,
        mapq=CALLING.min_mapq,
        baseq=CALLING.min_baseq,
        max_depth=CALLING.max_depth,
        filters=filter_command(CALLING, second_opinion_filters(CALLING)),
    priority: 75
    log:
        "logs/indel_second_opinion/{sample}.log",
    threads: 1
    resources:
        mem_mb=lambda wc: reads_resources(sample_fastqs(wc.sample)).mem_mb,
        runtime=lambda wc: reads_resources(sample_fastqs(wc.sample)).runtime,
    conda:
        str(ENVS / "call.yaml")
    # freebayes with the caller's settings, only in the windows (labpipe.calling.second_opinion);
    # no candidates, no windows: freebayes refuses an empty targets file.
    shell:
        "({STEP} indel-windows --calling {input.calling:q} --out {output.windows}"
        " {input.candidates}"
        " && if [ -s {output.windows} ]; then " + second_opinion_command()
        + " | bcftools norm -f {params.ref:q} -m -any -Ou | " + CARRIES_ALT_STAGE
        + "{params.filters}bcftools view -Ob -o {output.bcf}.partial;"
        " else : > {output.bcf}.partial; fi && " + FINISH + " --empty-ok {output.bcf}) 2> {log}"


rule call_variants:
    input:
        chunks=expand("results/vcf/chunks/{{sample}}.{chunk}.bcf", chunk=range(CHUNKS)),
        fai=ancient(REF + ".fai"),
        header="results/vcf/labpipe_header.txt",
        second=(
            "results/vcf/second_opinion/{sample}.freebayes.bcf" if SECOND_OPINION else []
        ),
    output:
        vcf="results/vcf/{sample}.vcf.gz",
        tbi="results/vcf/{sample}.vcf.gz.tbi",
    params:
        # The chunks are temporary: once deleted, Snakemake cannot compare their
        # params, so the job that consumes them carries what they depend on.
        calling_sha256=STAGE_SHA["calling"],
        ref=REF,
        filters=filter_command(CALLING),
        second=lambda wc, input: (
            f"{STEP} second-opinion --calls - --freebayes {shlex.quote(input.second)} | "
            if SECOND_OPINION
            else ""
        ),
    priority: 70
    log:
        "logs/call_variants/{sample}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    conda:
        str(ENVS / "call.yaml")
    # Chunks are in reference order, so plain concatenation keeps records sorted.
    shell:
        "(bcftools concat -Ou {input.chunks}"
        " | bcftools norm -f {params.ref:q} -m -any -Ou | " + CARRIES_ALT_STAGE
        + "{params.filters}{params.second}bcftools annotate -h {input.header:q} -Oz -o {output.vcf}.partial"
        " && bcftools index -t -f -o {output.tbi}.partial {output.vcf}.partial"
        " && " + FINISH + " {output}) 2> {log}"


rule bcftools_stats:
    input:
        vcf="results/vcf/{sample}.vcf.gz",
        tbi="results/vcf/{sample}.vcf.gz.tbi",
    output:
        "results/qc/bcftools/{sample}.bcftools_stats.txt",
    params:
        ref=REF,
    priority: 75
    log:
        "logs/bcftools_stats/{sample}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    conda:
        str(ENVS / "call.yaml")
    shell:
        "(bcftools stats -F {params.ref:q} -f PASS {input.vcf:q} > {output}.partial"
        " && " + FINISH + " {output}) 2> {log}"


rule sex_regions:
    input:
        targets="results/reference/targets.bed",
        fai=ancient(REF + ".fai"),
        par_file=PAR_FILE or [],
    output:
        "results/reference/sex_regions.bed",
    params:
        build=LP.reference.build or "",
    log:
        "logs/reference/sex_regions.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "{STEP} sex-regions --config {CONFIG_FILE} --fai {input.fai:q}"
        " --targets {input.targets:q} --out {output} 2> {log}"


rule sex_depth:
    input:
        bam="results/bam/{sample}.bam",
        bai="results/bam/{sample}.bam.bai",
        regions="results/reference/sex_regions.bed",
    output:
        "results/qc/sex/{sample}.depth.mosdepth.summary.txt",
    params:
        prefix="results/qc/sex/{sample}.depth",
        mapq=CALLING.min_mapq,
    log:
        "logs/sex_depth/{sample}.log",
    threads: 1
    resources:
        mem_mb=lambda wc: depth_resources(REF + ".fai", sample_fastqs(wc.sample)).mem_mb,
        runtime=lambda wc: depth_resources(REF + ".fai", sample_fastqs(wc.sample)).runtime,
    conda:
        str(ENVS / "qc.yaml")
    # Depth over the targets cut at the PARs (labpipe.qc.sex.sex_depth_regions); -x: only
    # ratios are used, so mosdepth's faster counting serves; only the summary is read.
    # No regions (no chrX, no PARs known): nothing to measure, an empty summary.
    shell:
        "(if [ -s {input.regions} ]; then mosdepth -x --no-per-base --by {input.regions:q}"
        " --mapq {params.mapq} --threads 1 {params.prefix}.partial {input.bam:q}"
        " && rm -f {params.prefix}.partial.mosdepth.*.dist.txt {params.prefix}.partial.regions.bed.gz*;"
        " else : > {output}.partial; fi"
        " && " + FINISH + " --prefix {params.prefix}.partial {params.prefix} {output}) > {log} 2>&1"


rule sex_check:
    input:
        vcf="results/vcf/{sample}.vcf.gz",
        tbi="results/vcf/{sample}.vcf.gz.tbi",
        depth="results/qc/sex/{sample}.depth.mosdepth.summary.txt",
        regions="results/reference/sex_regions.bed",
        fai=ancient(REF + ".fai"),
        ploidy="results/vcf/ploidy/{sample}.sex.txt",
    output:
        "results/qc/sex/{sample}.sex.json",
    params:
        # What the check reads besides its inputs: the sheet's sex, the build and PAR table.
        sex=lambda wc: SEX[wc.sample],
        sex_sha256=STAGE_SHA["sex"],
    priority: 74
    log:
        "logs/sex_check/{sample}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    # Sex from depth and chrX heterozygosity (labpipe.qc.sex), against the sample sheet.
    shell:
        "{STEP} sex-check --config {CONFIG_FILE} --fai {input.fai:q}"
        " --sample {wildcards.sample} --sex {params.sex} --regions {input.regions:q}"
        " --depth-summary {input.depth:q}"
        " --vcf {input.vcf:q} --out {output} > {log} 2>&1"
