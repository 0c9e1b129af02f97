# Joint calling of each family's sequenced members (labpipe.config.pedigree): one
# multi-sample mpileup/call over their BAMs, with the same regions, chunks, options and
# ploidy as a singleton's calling (rules/call.smk), and the same indel second opinion.
# It gives the family VCF (layout.FAMILY_VCF: every member's genotype, depth and read
# counts at every site any member carries, so a parent's reference call has its depth);
# each member's own VCF is cut from the same calls by call_variants. Singletons are
# called as before.


rule family_ploidy:
    input:
        ploidy=family_files(layout.PLOIDY),
        samples=family_files(layout.PLOIDY_SAMPLES),
        cnv_map=family_files(layout.CNV_MAP),
    output:
        ploidy=layout.FAMILY_PLOIDY,
        samples=layout.FAMILY_PLOIDY_SAMPLES,
        cnv_map=layout.FAMILY_CNV_MAP,
    params:
        first_ploidy=lambda wc, input: input.ploidy[0],
    priority: 90
    log:
        "logs/family_ploidy/{family}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    conda:
        str(ENVS / "call.yaml")
    # The ploidy file depends on the reference only (every member's is the same); the
    # samples file and freebayes' copy-number map hold one line per member.
    shell:
        "(cp {params.first_ploidy:q} {output.ploidy}.partial"
        " && cat {input.samples:q} > {output.samples}.partial"
        " && cat {input.cnv_map:q} > {output.cnv_map}.partial"
        " && labpipe step finish --rule family_ploidy {output}) 2> {log}"


use rule call_chunk as family_call_chunk with:
    input:
        bam=family_files(layout.BAM),
        bai=family_files(layout.BAI),
        regions=layout.CHUNK_BED,
        ref=ancient(REF),
        fai=ancient(FAI),
        ploidy=layout.FAMILY_PLOIDY,
        ploidy_samples=layout.FAMILY_PLOIDY_SAMPLES,
        cnv_map=layout.FAMILY_CNV_MAP,
    output:
        bcf=temp(layout.FAMILY_CHUNK_BCF),
        candidates=temp(layout.FAMILY_CHUNK_INDEL_SITES),
    log:
        "logs/family_call_chunk/{family}.{chunk}.log",
    resources:
        mem_mb=lambda wc: reads_resources(family_fastqs(wc.family)).mem_mb,
        runtime=lambda wc: reads_resources(family_fastqs(wc.family)).runtime,


rule family_freebayes:
    input:
        candidates=expand(
            layout.FAMILY_CHUNK_INDEL_SITES, chunk=range(CHUNKS), allow_missing=True
        ),
        calling=layout.CALLING_BED,
        bam=family_files(layout.BAM),
        bai=family_files(layout.BAI),
        ref=ancient(REF),
        fai=ancient(FAI),
        cnv_map=layout.FAMILY_CNV_MAP,
    output:
        windows=temp(layout.FAMILY_SECOND_OPINION_WINDOWS),
        bcf=temp(layout.FAMILY_FREEBAYES_BCF),
    params:
        mapq=CALLING.min_mapq,
        baseq=CALLING.min_baseq,
        max_depth=CALLING.max_depth,
    priority: 75
    log:
        "logs/family_freebayes/{family}.log",
    threads: 1
    resources:
        mem_mb=lambda wc: reads_resources(family_fastqs(wc.family)).mem_mb,
        runtime=lambda wc: reads_resources(family_fastqs(wc.family)).runtime,
    conda:
        str(ENVS / "call.yaml")
    # The second opinion's freebayes (rules/call.smk, indel_second_opinion) over every
    # member's BAM, kept as written: the family's and each member's opinion are cut from it.
    shell:
        "(labpipe step indel-windows --calling {input.calling:q} --out {output.windows}"
        " {input.candidates}"
        f" && if [ -s {{output.windows}} ]; then {SECOND_OPINION_COMMAND}"
        " | bcftools view -Ob -o {output.bcf}.partial;"
        " else : > {output.bcf}.partial; fi"
        " && labpipe step finish --rule family_freebayes --tools freebayes,bcftools"
        " --empty-ok {output.bcf}) 2> {log}"


rule member_opinion:
    input:
        freebayes=layout.FAMILY_FREEBAYES_BCF,
        ref=ancient(REF),
    output:
        bcf=temp(layout.MEMBER_OPINION_BCF),
    params:
        subset=lambda wc: member_subset(wc.sample),
        filters=filter_command(CALLING, second_opinion_filters(CALLING)),
    priority: 75
    log:
        "logs/member_opinion/{family}.{sample}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    conda:
        str(ENVS / "call.yaml")
    # The normalisation and filters indel_second_opinion gives a singleton's opinion, on
    # one member's column (or, family_opinion, on every member's).
    shell:
        "(if [ -s {input.freebayes} ]; then bcftools view -Ou {input.freebayes:q}"
        " | {params.subset}"
        f"bcftools norm -f {{input.ref:q}} -m -any -Ou | {CARRIES_ALT_STAGE}"
        "{params.filters}bcftools view -Ob -o {output.bcf}.partial;"
        " else : > {output.bcf}.partial; fi"
        " && labpipe step finish --rule member_opinion --tools bcftools"
        " --empty-ok {output.bcf}) 2> {log}"


use rule member_opinion as family_opinion with:
    output:
        bcf=temp(layout.FAMILY_OPINION_BCF),
    params:
        subset="",
        filters=filter_command(CALLING, second_opinion_filters(CALLING)),
    log:
        "logs/family_opinion/{family}.log",


# The family VCF: call_variants' pipeline over the family's chunks, every member kept, in
# pedigree order.
# A soft filter on a per-sample value (LowDepth's FORMAT/DP, IndelArtefact's AD) is set
# on a site when any member fails it (bcftools filter); each member's own VCF is filtered
# on its own values.
use rule call_variants as family_vcf with:
    input:
        chunks=expand(layout.FAMILY_CHUNK_BCF, chunk=range(CHUNKS), allow_missing=True),
        ref=ancient(REF),
        fai=ancient(FAI),
        header=layout.VCF_HEADER,
        second=layout.FAMILY_OPINION_BCF if SECOND_OPINION else [],
    output:
        vcf=layout.FAMILY_VCF,
        tbi=layout.FAMILY_TBI,
    params:
        calling_sha256=STAGE_SHA["calling"],
        subset=lambda wc: sample_columns_stage(FAMILIES[wc.family]),
        filters=filter_command(CALLING),
        second=lambda wc, input: (
            f"labpipe step second-opinion --calls - --freebayes {shlex.quote(input.second)} | "
            if SECOND_OPINION
            else ""
        ),
    log:
        "logs/family_vcf/{family}.log",
