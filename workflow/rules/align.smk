# Trimming and alignment per unit (lane), then lanes merged and duplicates marked.


rule align:
    input:
        r1=lambda wc: unit_of(wc).fq1,
        r2=lambda wc: unit_of(wc).fq2,
        index=ALIGNER_INDEX,
        ref=ancient(REF),
    output:
        bam=temp(layout.UNIT_BAM),
        json=layout.FASTP_JSON,
        html=layout.FASTP_HTML,
        pairs=layout.PAIRS_JSON,
    params:
        # Adapters, poly-G (per unit from its instrument when `auto`), length, N and
        # quality filters, and the reasons, which go to the fastp log.
        plan=lambda wc: fastp_plan(unit_of(wc), LP.trimming),
        trimming_sha256=STAGE_SHA["trimming"],
        alignment_sha256=STAGE_SHA["alignment"],
        rg=lambda wc: unit_of(wc).read_group(),
        tmp=layout.UNIT_SORT_PREFIX,
    priority: 100
    log:
        pairs="logs/check_pairs/{sample}.{unit}.log",
        fastp="logs/fastp/{sample}.{unit}.log",
        aligner=f"logs/{ALIGNER_LOG}/{{sample}}.{{unit}}.log",
    threads: THREADS
    # Cluster jobs only (labpipe.run.cluster): the index's size, the sort buffers, the reads.
    resources:
        mem_mb=lambda wc, threads: align_resources(REF, unit_fastqs(wc), threads).mem_mb,
        runtime=lambda wc, threads: align_resources(REF, unit_fastqs(wc), threads).runtime,
    conda:
        str(ENVS / "align.yaml")
    # `check-pairs` reads R1 and R2 once, checks that they hold the same
    # reads in the same order and counts them (the read ledger, labpipe.qc.metrics, starts from
    # this count, not from fastp's messages, which 0.23 misspells), passing the pairs on
    # as it goes: no step of its own that duplicate marking would wait for, and fastp
    # decompresses nothing. A unit whose files disagree fails here, before its BAM exists.
    # It runs the fastp command given with --trim on consecutive parts of the reads
    # (fastp 0.23 holds all it has read in memory; labpipe.qc.fastp_parts), and
    # fastp streams trimmed pairs (interleaved) straight into the aligner: no trimmed
    # FASTQ is compressed, written and read back, and no SAM is written. The aligner's
    # fixed batch size (bwa -K, minimap2 -K) keeps results independent of the thread
    # count; fixmate adds the mate tags markdup needs. fastp does not estimate duplication
    # (samtools markdup counts it exactly, and fastp's estimate takes 1 GB of memory).
    shell:
        "printf %s {params.plan.log_text:q} > {log.fastp}"
        "; (labpipe step check-pairs --sample {wildcards.sample} --unit {wildcards.unit}"
        " --fq1 {input.r1:q} --fq2 {input.r2:q} --out {output.pairs}.partial"
        " --trim \"fastp --stdin --interleaved_in --stdout {params.plan.options}"
        " --thread {threads} --dont_eval_duplication --report_title '{wildcards.sample} {wildcards.unit}'\""
        " --trim-json {output.json}.partial --trim-html {output.html}.partial"
        " --trim-log {log.fastp} 2> {log.pairs}"
        f" | {ALIGNER_COMMAND}"
        " | samtools fixmate -m -u - -"
        " | samtools sort -@ {threads} -m 512M -l 1 -T {params.tmp} -O bam -o {output.bam}.partial -)"
        " 2> {log.aligner}"
        f"; labpipe step finish --rule align --tools {ALIGN_TOOLS} {{output}} 2>> {{log.aligner}}"


rule markdup:
    input:
        bams=lambda wc: expand(
            layout.UNIT_BAM,
            sample=wc.sample,
            unit=[u.unit for u in units_of_sample(wc.sample)],
        ),
        pairs=lambda wc: expand(
            layout.PAIRS_JSON,
            sample=wc.sample,
            unit=[u.unit for u in units_of_sample(wc.sample)],
        ),
    output:
        bam=layout.BAM,
        bai=layout.BAI,
        stats=layout.MARKDUP_STATS,
    params:
        tmp=layout.MARKDUP_PREFIX,
        # One lane needs no merge: markdup reads the lane's BAM itself.
        merge=lambda wc, input: (
            f"samtools merge -f -u -o - {shlex.join(input.bams)} | " if len(input.bams) > 1 else ""
        ),
        source=lambda wc, input: "-" if len(input.bams) > 1 else shlex.quote(input.bams[0]),
    priority: 100
    log:
        "logs/markdup/{sample}.log",
    # samtools' -@ counts threads besides its main one, which does the marking: with
    # `threads` less one declared, `threads` run, and on two cores the small steps that
    # calling waits for (regions, ploidy) run beside it instead of after it.
    threads: max(1, THREADS - 1)
    resources:
        mem_mb=lambda wc, threads: markdup_resources(sample_fastqs(wc.sample), threads).mem_mb,
        runtime=lambda wc, threads: markdup_resources(sample_fastqs(wc.sample), threads).runtime,
    conda:
        str(ENVS / "align.yaml")
    shell:
        "({params.merge}samtools markdup -@ {threads} -s -f {output.stats}.partial -T {params.tmp} -O bam"
        " --write-index {params.source} {output.bam}.partial##idx##{output.bai}.partial"
        " && labpipe step finish --rule markdup --tools samtools {output}) > {log} 2>&1"
