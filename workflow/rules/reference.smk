# Reference indexes beside the FASTA (built only when absent) and the regions to work on.


rule reference_faidx:
    input:
        ancient(REF),
    output:
        REF + ".fai",
    priority: 100
    log:
        "logs/reference/faidx.log",
    threads: 1
    conda:
        str(ENVS / "align.yaml")
    shell:
        "samtools faidx {input:q} > {log} 2>&1"


rule reference_bwa_index:
    input:
        ancient(REF),
    output:
        multiext(REF, ".amb", ".ann", ".bwt", ".pac", ".sa"),
    priority: 100
    log:
        "logs/reference/bwa_index.log",
    threads: 1
    conda:
        str(ENVS / "align.yaml")
    shell:
        "bwa index {input:q} > {log} 2>&1"


rule regions:
    input:
        fai=ancient(REF + ".fai"),
        targets=ancient(LP["targets"]) if LP["targets"] else [],
    output:
        targets="results/reference/targets.bed",
        calling="results/reference/calling_regions.bed",
        chunks=expand("results/reference/chunks/chunk{chunk}.bed", chunk=range(CHUNKS)),
    params:
        padding=CALLING["target_padding"],
        targets=lambda wc, input: "--targets " + shlex.quote(input.targets) if input.targets else "",
    priority: 90
    log:
        "logs/reference/regions.log",
    threads: 1
    shell:
        STEP + " regions --fai {input.fai:q} {params.targets} --padding {params.padding}"
        " --targets-out {output.targets} --calling-out {output.calling}"
        " --chunks " + str(CHUNKS) + " --chunks-dir results/reference/chunks 2> {log}"
