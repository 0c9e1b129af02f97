# Consequences with bcftools csq, runs of homozygosity with bcftools roh, then
# labpipe's clinical annotation: ClinVar, population AFs, panels and tiers.
from labpipe.annotation.annotate import AnnotationSettings
from labpipe.annotation.inheritance import labelled_children

# Relative source paths are taken from the config's folder, like every other path.
ANNOTATION = AnnotationSettings.from_config(LP)
ROH = ANNOTATION.roh
# Affected children with both parents sequenced (common.smk's PEDIGREE) are labelled from
# their family's joint calls (layout.FAMILY_VCF, written by call_family.smk).
LABELLED = labelled_children(PEDIGREE, SAMPLES)
LABELLED_FAMILIES = sorted(set(LABELLED.values()))


rule inheritance:
    input:
        vcf=layout.FAMILY_VCF,
        tbi=layout.FAMILY_TBI,
        fai=ancient(FAI),
    output:
        layout.FAMILY_INHERITANCE,
    params:
        annotation_sha256=STAGE_SHA["annotation"],
    wildcard_constraints:
        family=name_pattern(LABELLED_FAMILIES) or "(?!)",
    priority: 60
    log:
        "logs/inheritance/{family}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step inheritance --config \"$LABPIPE_CONFIG\" --family {wildcards.family:q}"
        " --vcf {input.vcf:q} --fai {input.fai:q} --out {output} > {log} 2>&1"


rule annotation_sources:
    input:
        sources=[ancient(str(p)) for p in ANNOTATION.source_files().values()],
        ref=ancient(REF),
        fai=ancient(FAI),
    output:
        layout.ANNOTATION_SOURCES,
    params:
        annotation_sha256=STAGE_SHA["annotation"],
        # Sources are read through ancient(): a source replaced at the same path reruns
        # annotation (through sources.json) by its content, not by its mtime.
        sources_sha256=content_sha256(list(ANNOTATION.source_files().values()), OUTDIR),
    priority: 90
    log:
        "logs/annotation_sources.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step annotation-sources --config \"$LABPIPE_CONFIG\" --out {output} 2> {log}"


rule bcftools_csq:
    input:
        vcf=layout.VCF,
        tbi=layout.TBI,
        ref=ancient(REF),
        gff3=ancient(GFF3) if GFF3 else [],
    output:
        temp(layout.CSQ_VCF),
    params:
        gff3_sha256=content_sha256([Path(GFF3)], OUTDIR) if GFF3 else "",
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
        "(bcftools csq -f {input.ref:q} -g {input.gff3:q} -l -p a -Oz -o {output}.partial {input.vcf:q}"
        " && labpipe step finish --rule bcftools_csq --tools bcftools {output}) 2> {log}"


rule roh_allele_frequencies:
    input:
        vcf=layout.VCF,
        sources=layout.ANNOTATION_SOURCES,
    output:
        af=layout.ROH_AF,
        tbi=layout.ROH_AF_TBI,
    params:
        annotation_sha256=STAGE_SHA["annotation"],
        # The step reads the reference named in the config (not an input: its path is
        # in the config, whose annotation hash is above).
        reference=REF,
    priority: 60
    log:
        "logs/roh_allele_frequencies/{sample}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step roh-af --config \"$LABPIPE_CONFIG\" --vcf {input.vcf:q} --out {output.af} 2> {log}"


rule bcftools_roh:
    input:
        vcf=layout.VCF,
        tbi=layout.TBI,
        af=layout.ROH_AF if ANNOTATION.population else [],
    output:
        layout.ROH,
    params:
        af_file=lambda wc, input: f"--AF-file {shlex.quote(input.af)}" if input.af else "",
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
    # -O sr: the runs and every assessed site (the autozygosity estimate needs the sites).
    # Haploid calls (a male's chrX, labpipe.qc.sex) say nothing of homozygosity, and bcftools
    # roh 1.16 crashes on them with -G.
    shell:
        "(bcftools roh -G 30 --AF-dflt {params.af_default} {params.af_file} -s {wildcards.sample}"
        " --include 'FILTER=\"PASS\" && GT!=\"hap\"' -O sr -o {output}.partial {input.vcf:q}"
        " && labpipe step finish --rule bcftools_roh --tools bcftools {output}) > {log} 2>&1"


rule annotate:
    input:
        vcf=layout.CSQ_VCF if GFF3 else layout.VCF,
        roh=layout.ROH if ROH.enabled else [],
        # A labelled child's family table; none for everyone else.
        inheritance=lambda wc: (
            layout.family_inheritance(LABELLED[wc.sample]) if wc.sample in LABELLED else []
        ),
        sources=layout.ANNOTATION_SOURCES,
        fai=ancient(FAI),
    output:
        vcf=layout.ANNOTATED_VCF,
        tbi=layout.ANNOTATED_TBI,
        tsv=layout.VARIANTS_TSV,
        xlsx=layout.VARIANTS_XLSX,
    params:
        annotation_sha256=STAGE_SHA["annotation"],
        language=LANGUAGE,
        roh=lambda wc, input: f"--roh {shlex.quote(input.roh)}" if input.roh else "",
        inheritance=lambda wc, input: (
            f"--inheritance {shlex.quote(input.inheritance)}" if input.inheritance else ""
        ),
    priority: 60
    log:
        "logs/annotate/{sample}.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step annotate --config \"$LABPIPE_CONFIG\" --sample {wildcards.sample}"
        " --vcf {input.vcf:q} {params.roh} {params.inheritance} --out-vcf {output.vcf} --out-tsv {output.tsv}"
        " --out-xlsx {output.xlsx} > {log} 2>&1"
