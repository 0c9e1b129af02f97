# Reference indexes beside the FASTA (built only when absent) and the regions to work on.


rule reference_faidx:
    input:
        ancient(REF),
    output:
        REF + ".fai",
    log:
        "logs/reference/faidx.log",
    threads: 1
    conda:
        str(ENVS / "align.yaml")
    shell:
        "samtools faidx {input} > {log} 2>&1"


rule reference_bwa_index:
    input:
        ancient(REF),
    output:
        multiext(REF, ".amb", ".ann", ".bwt", ".pac", ".sa"),
    log:
        "logs/reference/bwa_index.log",
    threads: 1
    conda:
        str(ENVS / "align.yaml")
    shell:
        "bwa index {input} > {log} 2>&1"


rule regions:
    input:
        fai=ancient(REF + ".fai"),
        targets=ancient(LP["targets"]) if LP["targets"] else [],
    output:
        targets="results/reference/targets.bed",
        calling="results/reference/calling_regions.bed",
    params:
        padding=CALLING["target_padding"],
    log:
        "logs/reference/regions.log",
    threads: 1
    run:
        from labpipe.regions import prepare_regions

        run_logged(
            log[0],
            prepare_regions,
            Path(input.fai),
            Path(input.targets) if LP["targets"] else None,
            params.padding,
            Path(output.targets),
            Path(output.calling),
        )
