# Consequences with bcftools csq, runs of homozygosity with bcftools roh, then
# labpipe's clinical annotation: ClinVar, population AFs, panels and tiers.
from labpipe.annotate import AnnotationSettings

# Relative source paths are taken from the config's folder, like every other path.
ANNOTATION = AnnotationSettings.from_config(LP, Path(config["labpipe_config"]).resolve().parent)
ROH = ANNOTATION.roh


rule annotation_sources:
    input:
        sources=[ancient(str(p)) for p in ANNOTATION.source_files().values()],
        fai=ancient(REF + ".fai"),
    output:
        "results/annotation/sources.json",
    params:
        ref=REF,
    log:
        "logs/annotation_sources.log",
    run:
        from labpipe.annotate import check_annotation_inputs

        run_logged(
            log[0], check_annotation_inputs, ANNOTATION, Path(params.ref), SAMPLES, Path(output[0])
        )


rule bcftools_csq:
    input:
        vcf="results/vcf/{sample}.vcf.gz",
        tbi="results/vcf/{sample}.vcf.gz.tbi",
        gff3=ancient(GFF3) if GFF3 else [],
    output:
        temp("results/vcf/{sample}.csq.vcf.gz"),
    params:
        ref=REF,
    log:
        "logs/bcftools_csq/{sample}.log",
    conda:
        str(ENVS / "call.yaml")
    # -l: each record's own consequence (a report lists variants one by one);
    # -p a: genotypes are taken as they are, unphased calls included.
    shell:
        "bcftools csq -f {params.ref} -g {input.gff3} -l -p a -Oz -o {output} {input.vcf} 2> {log}"


rule roh_allele_frequencies:
    input:
        vcf="results/vcf/{sample}.vcf.gz",
        sources="results/annotation/sources.json",
    output:
        af="results/roh/{sample}.af.tsv.gz",
        tbi="results/roh/{sample}.af.tsv.gz.tbi",
    params:
        ref=REF,
    log:
        "logs/roh_allele_frequencies/{sample}.log",
    run:
        from labpipe.roh import write_roh_af_file

        run_logged(
            log[0],
            write_roh_af_file,
            Path(input.vcf),
            Path(params.ref),
            ANNOTATION.population,
            Path(output.af),
        )


rule bcftools_roh:
    input:
        vcf="results/vcf/{sample}.vcf.gz",
        tbi="results/vcf/{sample}.vcf.gz.tbi",
        af="results/roh/{sample}.af.tsv.gz" if ANNOTATION.population else [],
    output:
        "results/roh/{sample}.roh.txt",
    params:
        af_file=lambda wc, input: f"--AF-file {input.af}" if input.af else "",
        af_default=ROH.af_default,
    log:
        "logs/bcftools_roh/{sample}.log",
    conda:
        str(ENVS / "call.yaml")
    # Only PASS calls are markers; sites without a population AF get --AF-dflt.
    # -G 30: genotypes, not PLs, so that every caller's output serves (freebayes writes no PL).
    shell:
        "bcftools roh -G 30 --AF-dflt {params.af_default} {params.af_file} -s {wildcards.sample}"
        " --include 'FILTER=\"PASS\"' -O r -o {output} {input.vcf} > {log} 2>&1"


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
        ref=REF,
    log:
        "logs/annotate/{sample}.log",
    run:
        from labpipe.annotate import annotate_sample

        run_logged(
            log[0],
            annotate_sample,
            Path(input.vcf),
            wildcards.sample,
            Path(params.ref),
            ANNOTATION,
            Path(output.vcf),
            Path(output.tsv),
            Path(output.xlsx),
            roh_output=Path(input.roh) if input.roh else None,
        )
