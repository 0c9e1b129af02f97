# The batch's identity checks: every sample genotyped at the same SNV sites, then the
# kinship of every pair and each sample's contamination (labpipe.qc.identity), which each
# sample's QC verdict counts; and the batch page of the report.

from labpipe.qc.batch_genotypes import GENOTYPE_COMMAND


rule identity_sites:
    input:
        vcfs=expand(layout.VCF, sample=SAMPLES),
        tbis=expand(layout.TBI, sample=SAMPLES),
        targets=layout.TARGETS_BED,
        fai=ancient(FAI),
    output:
        sites=layout.IDENTITY_SITES,
        tbi=layout.IDENTITY_SITES_TBI,
    priority: 74
    log:
        "logs/identity/sites.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step identity-sites --targets {input.targets:q}"
        " --out {output.sites} {input.vcfs:q} > {log} 2>&1"


rule identity_genotypes:
    input:
        bams=expand(layout.BAM, sample=SAMPLES),
        bais=expand(layout.BAI, sample=SAMPLES),
        sites=layout.IDENTITY_SITES,
        tbi=layout.IDENTITY_SITES_TBI,
        ref=ancient(REF),
        fai=ancient(FAI),
    output:
        layout.IDENTITY_GENOTYPES,
    params:
        mapq=CALLING.min_mapq,
        baseq=CALLING.min_baseq,
        max_depth=CALLING.max_depth,
    priority: 74
    log:
        "logs/identity/genotypes.log",
    threads: 1
    resources:
        mem_mb=lambda wc: reads_resources([fq for s in SAMPLES for fq in sample_fastqs(s)]).mem_mb,
        runtime=lambda wc: reads_resources([fq for s in SAMPLES for fq in sample_fastqs(s)]).runtime,
    conda:
        str(ENVS / "call.yaml")
    # No site (no sample called a SNV in the targets): nothing to genotype, an empty file.
    shell:
        "(if [ -n \"$(gzip -dc {input.sites:q} | head -c 1)\" ]; then"
        f" {GENOTYPE_COMMAND}; else : > {{output}}.partial; fi"
        " && labpipe step finish --rule identity_genotypes --tools bcftools --empty-ok {output})"
        " 2> {log}"


rule identity:
    input:
        sites=layout.IDENTITY_SITES,
        genotypes=layout.IDENTITY_GENOTYPES,
    output:
        layout.IDENTITY_JSON,
    params:
        # The qc thresholds, the pedigree and the population sources (AFs) decide.
        config_sha256=CONFIG_SHA,
        samples=" ".join(f"--sample {shlex.quote(s)}" for s in SAMPLES),
    priority: 74
    log:
        "logs/identity/identity.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step identity --config \"$LABPIPE_CONFIG\" --sites {input.sites:q}"
        " --genotypes {input.genotypes:q} {params.samples} --out {output} > {log} 2>&1"


rule batch_report:
    input:
        identity=layout.IDENTITY_JSON,
    output:
        layout.REPORT_BATCH,
    params:
        config_sha256=CONFIG_SHA,
        language=LANGUAGE,
    priority: 50
    log:
        "logs/batch_report.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step batch-report --config \"$LABPIPE_CONFIG\" --outdir \"$LABPIPE_OUTDIR\""
        " --identity {input.identity:q} --out {output} 2> {log}"
