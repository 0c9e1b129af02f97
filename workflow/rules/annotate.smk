# Consequences with bcftools csq, then one table row per variant.


rule bcftools_csq:
    input:
        vcf="results/vcf/{sample}.vcf.gz",
        tbi="results/vcf/{sample}.vcf.gz.tbi",
        gff3=ancient(GFF3) if GFF3 else [],
    output:
        vcf="results/vcf/{sample}.annotated.vcf.gz",
        tbi="results/vcf/{sample}.annotated.vcf.gz.tbi",
    params:
        ref=REF,
    log:
        "logs/bcftools_csq/{sample}.log",
    conda:
        str(ENVS / "call.yaml")
    # -l: each record's own consequence (a report lists variants one by one);
    # -p a: genotypes are taken as they are, unphased calls included.
    shell:
        "(bcftools csq -f {params.ref} -g {input.gff3} -l -p a -Oz -o {output.vcf} {input.vcf}"
        " && bcftools index -t -f {output.vcf}) 2> {log}"


rule variant_table:
    input:
        vcf=(
            "results/vcf/{sample}.annotated.vcf.gz"
            if GFF3
            else "results/vcf/{sample}.vcf.gz"
        ),
        fai=ancient(REF + ".fai"),
    output:
        "results/variants/{sample}.tsv",
    params:
        gff3=GFF3,
        ref=REF,
    log:
        "logs/variant_table/{sample}.log",
    run:
        from labpipe.variant_table import write_variant_table

        run_logged(
            log[0],
            write_variant_table,
            Path(input.vcf),
            Path(params.gff3) if params.gff3 else None,
            Path(params.ref),
            Path(output[0]),
            sample=wildcards.sample,
        )
