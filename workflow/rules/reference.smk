# Reference indexes beside the FASTA (built only when absent) and the regions to work on.


# `labpipe reference prepare`: the same checks as `labpipe validate`, indexes built under
# temporary names and moved into place, and the stamp that ties them to this FASTA.
rule reference_index:
    input:
        ancient(REF),
    output:
        fai=REF + ".fai",
        # bwa's five files or minimap2's .mmi (labpipe.inputs.reference.index_files).
        index=ALIGNER_INDEX,
    priority: 100
    log:
        "logs/reference/index.log",
    threads: 1
    params:
        aligner=ALIGNER,
    resources:
        mem_mb=reference_index_resources(REF, ALIGNER).mem_mb,
        runtime=reference_index_resources(REF, ALIGNER).runtime,
    conda:
        str(ENVS / "align.yaml")
    shell:
        "{LABPIPE} reference prepare --aligner {params.aligner} {input:q} > {log} 2>&1"


rule regions:
    input:
        fai=ancient(REF + ".fai"),
        targets=ancient(TARGETS) if TARGETS else [],
    output:
        targets="results/reference/targets.bed",
        calling="results/reference/calling_regions.bed",
        chunks=expand("results/reference/chunks/chunk{chunk}.bed", chunk=range(CHUNKS)),
    params:
        padding=CALLING.target_padding,
        # The BED is read through ancient(): its content, not its mtime, reruns this and
        # what depends on it (calling, coverage), never alignment.
        targets_sha256=content_sha256([LP.targets]) if LP.targets else "",
        targets=lambda wc, input: "--targets " + shlex.quote(input.targets) if input.targets else "",
    priority: 90
    log:
        "logs/reference/regions.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "{STEP} regions --fai {input.fai:q} {params.targets} --padding {params.padding}"
        " --targets-out {output.targets} --calling-out {output.calling}"
        " --chunks " + str(CHUNKS) + " --chunks-dir results/reference/chunks 2> {log}"
