# Reference indexes beside the FASTA (built only when absent) and the regions to work on.


# `labpipe reference prepare`: the same checks as `labpipe validate`, indexes built under
# temporary names and moved into place, and the stamp that ties them to this FASTA.
rule reference_index:
    input:
        ancient(REF),
    output:
        fai=FAI,
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
        "(labpipe reference prepare --aligner {params.aligner} {input:q}"
        f" && labpipe step tool-versions --rule reference_index {ALIGNER} samtools)"
        " > {log} 2>&1"


rule regions:
    input:
        fai=ancient(FAI),
        targets=ancient(TARGETS) if TARGETS else [],
    output:
        targets=layout.TARGETS_BED,
        calling=layout.CALLING_BED,
        chunks=expand(layout.CHUNK_BED, chunk=range(CHUNKS)),
    params:
        padding=CALLING.target_padding,
        # The BED is read through ancient(): its content, not its mtime, reruns this and
        # what depends on it (calling, coverage), never alignment.
        targets_sha256=content_sha256([LP.targets], OUTDIR) if LP.targets else "",
        targets=lambda wc, input: f"--targets {shlex.quote(input.targets)}" if input.targets else "",
        chunks=CHUNKS,
        chunks_dir=lambda wc: layout.CHUNKS_DIR,
    priority: 90
    log:
        "logs/reference/regions.log",
    threads: 1
    resources:
        mem_mb=SMALL_MEM_MB,
        runtime=SMALL_RUNTIME_MIN,
    shell:
        "labpipe step regions --fai {input.fai:q} {params.targets} --padding {params.padding}"
        " --targets-out {output.targets} --calling-out {output.calling}"
        " --chunks {params.chunks} --chunks-dir {params.chunks_dir} 2> {log}"
