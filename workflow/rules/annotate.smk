# Consequences with bcftools csq, runs of homozygosity with bcftools roh, then
# labpipe's clinical annotation: ClinVar, population AFs, panels and tiers.
from labpipe.annotation.annotate import AnnotationSettings

# Relative source paths are taken from the config's folder, like every other path.
ANNOTATION = AnnotationSettings.from_config(LP)
ROH = ANNOTATION.roh


rule annotation_sources:
    input:
        sources=[ancient(str(p)) for p in ANNOTATION.source_files().values()],
        fai=ancient(REF + ".fai"),
    output:
        "results/annotation/sources.json",
    params:
        annotation_sha256=STAGE_SHA["annotation"],
        ref=REF,
        # Sources are read through ancient(): a source replaced at the same path reruns
        # annotation (through sources.json) by its content, not by its mtime.
        sources_sha256=content_sha256(list(ANNOTATION.source_files().values())),
    priority: 90
    log:
        "logs/annotation_sources.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "{STEP} annotation-sources --config {CONFIG_FILE} --out {output} 2> {log}"


rule bcftools_csq:
    input:
        vcf="results/vcf/{sample}.vcf.gz",
        tbi="results/vcf/{sample}.vcf.gz.tbi",
        gff3=ancient(GFF3) if GFF3 else [],
    output:
        temp("results/vcf/{sample}.csq.vcf.gz"),
    params:
        ref=REF,
        gff3_sha256=content_sha256([Path(GFF3)]) if GFF3 else "",
    priority: 60
    log:
        "logs/bcftools_csq/{sample}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    conda:
        str(ENVS / "call.yaml")
    # -l: each record's own consequence (a report lists variants one by one);
    # -p a: genotypes are taken as they are, unphased calls included.
    shell:
        "(bcftools csq -f {params.ref:q} -g {input.gff3:q} -l -p a -Oz -o {output}.partial {input.vcf:q}"
        " && " + FINISH + " {output}) 2> {log}"


rule roh_allele_frequencies:
    input:
        vcf="results/vcf/{sample}.vcf.gz",
        sources="results/annotation/sources.json",
    output:
        af="results/roh/{sample}.af.tsv.gz",
        tbi="results/roh/{sample}.af.tsv.gz.tbi",
    params:
        annotation_sha256=STAGE_SHA["annotation"],
        ref=REF,
    priority: 60
    log:
        "logs/roh_allele_frequencies/{sample}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "{STEP} roh-af --config {CONFIG_FILE} --vcf {input.vcf:q} --out {output.af} 2> {log}"


rule bcftools_roh:
    input:
        vcf="results/vcf/{sample}.vcf.gz",
        tbi="results/vcf/{sample}.vcf.gz.tbi",
        af="results/roh/{sample}.af.tsv.gz" if ANNOTATION.population else [],
    output:
        "results/roh/{sample}.roh.txt",
    params:
        af_file=lambda wc, input: "--AF-file " + shlex.quote(input.af) if input.af else "",
        af_default=ROH.af_default,
    priority: 60
    log:
        "logs/bcftools_roh/{sample}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    conda:
        str(ENVS / "call.yaml")
    # Only PASS calls are markers; sites without a population AF get --AF-dflt.
    # -G 30: genotypes, not PLs, so that every caller's output serves (freebayes writes no PL).
    # Haploid calls (a male's chrX, labpipe.qc.sex) say nothing of homozygosity, and bcftools
    # roh 1.16 crashes on them with -G.
    shell:
        "(bcftools roh -G 30 --AF-dflt {params.af_default} {params.af_file} -s {wildcards.sample}"
        " --include 'FILTER=\"PASS\" && GT!=\"hap\"' -O r -o {output}.partial {input.vcf:q}"
        " && " + FINISH + " {output}) > {log} 2>&1"


rule annotate:
    input:
        vcf=(
            "results/vcf/{sample}.csq.vcf.gz"
            if GFF3
            else "results/vcf/{sample}.vcf.gz"
        ),
        roh="results/roh/{sample}.roh.txt" if ROH.enabled else [],
        sources="results/annotation/sources.json",
        fai=ancient(REF + ".fai"),
    output:
        vcf="results/vcf/{sample}.annotated.vcf.gz",
        tbi="results/vcf/{sample}.annotated.vcf.gz.tbi",
        tsv="results/variants/{sample}.tsv",
        xlsx="results/variants/{sample}.xlsx",
    params:
        annotation_sha256=STAGE_SHA["annotation"],
        roh=lambda wc, input: "--roh " + shlex.quote(input.roh) if input.roh else "",
    priority: 60
    log:
        "logs/annotate/{sample}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "{STEP} annotate --config {CONFIG_FILE} --sample {wildcards.sample}"
        " --vcf {input.vcf:q} {params.roh} --out-vcf {output.vcf} --out-tsv {output.tsv}"
        " --out-xlsx {output.xlsx} > {log} 2>&1"
