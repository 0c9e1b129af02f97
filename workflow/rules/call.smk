# Variant calling over the padded targets: call, normalise, soft-filter.


rule provenance_header:
    output:
        layout.VCF_HEADER,
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
        "labpipe step vcf-header --config \"$LABPIPE_CONFIG\" --out {output} 2> {log}"


rule ploidy:
    input:
        fai=ancient(FAI),
        par_file=PAR_FILE or [],
    output:
        ploidy=layout.PLOIDY,
        samples=layout.PLOIDY_SAMPLES,
        cnv_map=layout.CNV_MAP,
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
        "labpipe step ploidy --config \"$LABPIPE_CONFIG\" --fai {input.fai:q}"
        " --sample {wildcards.sample} --sex {params.sex} --ploidy-out {output.ploidy}"
        " --samples-out {output.samples} --cnv-map-out {output.cnv_map} 2> {log}"


rule call_chunk:
    input:
        bam=layout.BAM,
        bai=layout.BAI,
        regions=layout.CHUNK_BED,
        ref=ancient(REF),
        fai=ancient(FAI),
        ploidy=layout.PLOIDY,
        ploidy_samples=layout.PLOIDY_SAMPLES,
        cnv_map=layout.CNV_MAP,
    output:
        bcf=temp(layout.CHUNK_BCF),
        # Sites where mpileup saw indel candidates (empty unless the second opinion is on).
        candidates=temp(layout.CHUNK_INDEL_SITES),
    params:
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
    # (see labpipe.core.regions.split_regions). The caller's command depends on
    # calling.caller (labpipe.calling.commands.caller_command); touch leaves the indel
    # sites the caller wrote, or writes an empty file when it wrote none.
    shell:
        f"({CALLER_COMMAND} | bcftools view -Ob -o {{output.bcf}}.partial"
        " && touch {output.candidates}.partial"
        f" && labpipe step finish --rule call_chunk --tools {CALLER_TOOLS} {{output}}) 2> {{log}}"


rule indel_second_opinion:
    input:
        candidates=expand(layout.CHUNK_INDEL_SITES, chunk=range(CHUNKS), allow_missing=True),
        calling=layout.CALLING_BED,
        bam=layout.BAM,
        bai=layout.BAI,
        ref=ancient(REF),
        fai=ancient(FAI),
        cnv_map=layout.CNV_MAP,
    output:
        windows=temp(layout.SECOND_OPINION_WINDOWS),
        bcf=temp(layout.SECOND_OPINION_BCF),
    params:
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
        "(labpipe step indel-windows --calling {input.calling:q} --out {output.windows}"
        " {input.candidates}"
        f" && if [ -s {{output.windows}} ]; then {SECOND_OPINION_COMMAND}"
        f" | bcftools norm -f {{input.ref:q}} -m -any -Ou | {CARRIES_ALT_STAGE}"
        "{params.filters}bcftools view -Ob -o {output.bcf}.partial;"
        " else : > {output.bcf}.partial; fi"
        " && labpipe step finish --rule indel_second_opinion --tools freebayes,bcftools"
        " --empty-ok {output.bcf}) 2> {log}"


# A member of a family called jointly (rules/call_family.smk) takes its calls from the
# family's: the same pipeline after keeping its own column (`view -s -a`: the ALT alleles
# it carries), so that the filters and the second opinion judge the sample's own reads.
rule call_variants:
    input:
        chunks=lambda wc: (
            expand(layout.FAMILY_CHUNK_BCF, family=FAMILY_OF[wc.sample], chunk=range(CHUNKS))
            if wc.sample in FAMILY_OF
            else expand(layout.CHUNK_BCF, sample=wc.sample, chunk=range(CHUNKS))
        ),
        ref=ancient(REF),
        fai=ancient(FAI),
        header=layout.VCF_HEADER,
        second=lambda wc: (
            []
            if not SECOND_OPINION
            else layout.path(
                layout.MEMBER_OPINION_BCF, family=FAMILY_OF[wc.sample], sample=wc.sample
            )
            if wc.sample in FAMILY_OF
            else layout.path(layout.SECOND_OPINION_BCF, sample=wc.sample)
        ),
    output:
        vcf=layout.VCF,
        tbi=layout.TBI,
    params:
        # The chunks are temporary: once deleted, Snakemake cannot compare their
        # params, so the job that consumes them carries what they depend on.
        calling_sha256=STAGE_SHA["calling"],
        subset=lambda wc: member_subset(wc.sample),
        filters=filter_command(CALLING),
        second=lambda wc, input: (
            f"labpipe step second-opinion --calls - --freebayes {shlex.quote(input.second)} | "
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
        "(bcftools concat -Ou {input.chunks} | {params.subset}"
        f"bcftools norm -f {{input.ref:q}} -m -any -Ou | {CARRIES_ALT_STAGE}"
        "{params.filters}{params.second}bcftools annotate -h {input.header:q} -Oz -o {output.vcf}.partial"
        " && bcftools index -t -f -o {output.tbi}.partial {output.vcf}.partial"
        " && labpipe step finish --rule call_variants --tools bcftools {output}) 2> {log}"


rule bcftools_stats:
    input:
        vcf=layout.VCF,
        tbi=layout.TBI,
        ref=ancient(REF),
    output:
        layout.BCFTOOLS_STATS,
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
        "(bcftools stats -F {input.ref:q} -f PASS {input.vcf:q} > {output}.partial"
        " && labpipe step finish --rule bcftools_stats --tools bcftools {output}) 2> {log}"


rule sex_regions:
    input:
        targets=layout.TARGETS_BED,
        fai=ancient(FAI),
        par_file=PAR_FILE or [],
    output:
        layout.SEX_REGIONS_BED,
    params:
        build=LP.reference.build or "",
    log:
        "logs/reference/sex_regions.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step sex-regions --config \"$LABPIPE_CONFIG\" --fai {input.fai:q}"
        " --targets {input.targets:q} --out {output} 2> {log}"


rule sex_depth:
    input:
        bam=layout.BAM,
        bai=layout.BAI,
        regions=layout.SEX_REGIONS_BED,
    output:
        layout.SEX_DEPTH_SUMMARY,
    params:
        prefix=layout.SEX_DEPTH_PREFIX,
        mapq=CALLING.min_mapq,
    log:
        "logs/sex_depth/{sample}.log",
    threads: 1
    resources:
        mem_mb=lambda wc: depth_resources(FAI, sample_fastqs(wc.sample)).mem_mb,
        runtime=lambda wc: depth_resources(FAI, sample_fastqs(wc.sample)).runtime,
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
        " && labpipe step finish --rule sex_depth --tools mosdepth"
        " --prefix {params.prefix}.partial {params.prefix} {output}) > {log} 2>&1"


rule sex_check:
    input:
        vcf=layout.VCF,
        tbi=layout.TBI,
        depth=layout.SEX_DEPTH_SUMMARY,
        regions=layout.SEX_REGIONS_BED,
        fai=ancient(FAI),
        ploidy=layout.PLOIDY_SAMPLES,
    output:
        layout.SEX_JSON,
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
        "labpipe step sex-check --config \"$LABPIPE_CONFIG\" --fai {input.fai:q}"
        " --sample {wildcards.sample} --sex {params.sex} --regions {input.regions:q}"
        " --depth-summary {input.depth:q}"
        " --vcf {input.vcf:q} --out {output} > {log} 2>&1"
