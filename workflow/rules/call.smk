# Variant calling over the padded targets: call, normalise, soft-filter.


rule provenance_header:
    output:
        "results/vcf/labpipe_header.txt",
    params:
        # Changes with the config, so a changed analysis rewrites the VCF headers.
        config_sha256=config_sha256(LP),
    priority: 90
    log:
        "logs/provenance_header.log",
    threads: 1
    shell:
        STEP + " vcf-header --config " + CONFIG_FILE + " --out {output} 2> {log}"


rule call_chunk:
    input:
        bam="results/bam/{sample}.bam",
        bai="results/bam/{sample}.bam.bai",
        regions="results/reference/chunks/chunk{chunk}.bed",
        fai=ancient(REF + ".fai"),
    output:
        bcf=temp("results/vcf/chunks/{sample}.{chunk}.bcf"),
        # Sites where mpileup saw indel candidates (empty unless the second opinion is on).
        candidates=temp("results/vcf/chunks/{sample}.{chunk}.indel_sites.txt"),
    params:
        ref=REF,
        mapq=CALLING["min_mapq"],
        baseq=CALLING["min_baseq"],
        max_depth=CALLING["max_depth"],
        prior=CALLING["prior"],
        indel_bias=CALLING["indel_bias"],
    priority: 80
    log:
        "logs/call_chunk/{sample}.{chunk}.log",
    threads: 1
    conda:
        str(ENVS / "call.yaml")
    # A chunk's calls are exactly the calls at its positions in one whole run
    # (see labpipe.regions.split_regions).
    shell:
        "(" + caller_command(CALLING["caller"], SECOND_OPINION)
        + " | bcftools view -Ob -o {output.bcf}"
        + ("" if SECOND_OPINION else " && : > {output.candidates}")
        + ") 2> {log}"


rule indel_second_opinion:
    input:
        candidates=expand(
            "results/vcf/chunks/{{sample}}.{chunk}.indel_sites.txt", chunk=range(CHUNKS)
        ),
        calling="results/reference/calling_regions.bed",
        bam="results/bam/{sample}.bam",
        bai="results/bam/{sample}.bam.bai",
        fai=ancient(REF + ".fai"),
    output:
        windows=temp("results/vcf/second_opinion/{sample}.windows.bed"),
        bcf=temp("results/vcf/second_opinion/{sample}.freebayes.bcf"),
    params:
        ref=REF,
        mapq=CALLING["min_mapq"],
        baseq=CALLING["min_baseq"],
        max_depth=CALLING["max_depth"],
        filters=filter_command(CALLING, second_opinion_filters(CALLING)),
    priority: 75
    log:
        "logs/indel_second_opinion/{sample}.log",
    threads: 1
    conda:
        str(ENVS / "call.yaml")
    # freebayes with the caller's settings, only in the windows (labpipe.second_opinion);
    # no candidates, no windows: freebayes refuses an empty targets file.
    shell:
        "(" + STEP + " indel-windows --calling {input.calling:q} --out {output.windows}"
        " {input.candidates}"
        " && if [ -s {output.windows} ]; then " + second_opinion_command()
        + " | bcftools norm -f {params.ref:q} -m -any -Ou"
        " | {params.filters}bcftools view -Ob -o {output.bcf};"
        " else : > {output.bcf}; fi) 2> {log}"


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
    conda:
        str(ENVS / "call.yaml")
    # Chunks are in reference order, so plain concatenation keeps records sorted.
    shell:
        "(bcftools concat -Ou {input.chunks}"
        " | bcftools norm -f {params.ref:q} -m -any -Ou"
        " | {params.filters}{params.second}bcftools annotate -h {input.header:q} -Oz -o {output.vcf}"
        " && bcftools index -t -f {output.vcf}) 2> {log}"


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
    conda:
        str(ENVS / "call.yaml")
    shell:
        "bcftools stats -F {params.ref:q} -f PASS {input.vcf:q} > {output} 2> {log}"
