# Trimming and alignment per unit (lane), then lanes merged and duplicates marked.


rule align:
    input:
        r1=lambda wc: unit_of(wc).fq1,
        r2=lambda wc: unit_of(wc).fq2,
        index=rules.reference_index.output.bwa,
    output:
        bam=temp("results/bam/units/{sample}.{unit}.bam"),
        json="results/qc/fastp/{sample}.{unit}.fastp.json",
        html="results/qc/fastp/{sample}.{unit}.fastp.html",
    params:
        # Adapters, poly-G (per unit from its instrument when `auto`), length, N and
        # quality filters, and the reasons, which go to the fastp log.
        plan=lambda wc: fastp_plan(unit_of(wc), LP["trimming"]),
        trimming_sha256=STAGE_SHA["trimming"],
        rg=lambda wc: unit_of(wc).read_group(),
        ref=REF,
        tmp="results/bam/units/{sample}.{unit}.sort",
    priority: 100
    log:
        fastp="logs/fastp/{sample}.{unit}.log",
        bwa="logs/bwa_mem/{sample}.{unit}.log",
    threads: THREADS
    # Cluster jobs only (labpipe.run.cluster): the index's size, the sort buffers, the reads.
    resources:
        mem_mb=lambda wc, threads: align_resources(REF, unit_fastqs(wc), threads).mem_mb,
        runtime=lambda wc, threads: align_resources(REF, unit_fastqs(wc), threads).runtime,
    conda:
        str(ENVS / "align.yaml")
    # fastp streams trimmed pairs (interleaved) straight into bwa: no trimmed
    # FASTQ is compressed, written and read back, and no SAM is written.
    # bwa's -K fixes its batch size so results do not depend on the thread count;
    # fixmate adds the mate tags markdup needs. fastp does not estimate duplication
    # (samtools markdup counts it exactly, and fastp's estimate takes 1 GB of memory).
    shell:
        "printf %s {params.plan.log_text:q} > {log.fastp}"
        "; (fastp --in1 {input.r1:q} --in2 {input.r2:q} --stdout {params.plan.options}"
        " --thread {threads} --dont_eval_duplication --report_title '{wildcards.sample} {wildcards.unit}'"
        " --json {output.json}.partial --html {output.html}.partial 2>> {log.fastp}"
        " | bwa mem -p -t {threads} -K 10000000 -Y -R '{params.rg}' {params.ref:q} -"
        " | samtools fixmate -m -u - -"
        " | samtools sort -@ {threads} -m 512M -l 1 -T {params.tmp} -O bam -o {output.bam}.partial -)"
        " 2> {log.bwa}"
        "; " + FINISH + " {output} 2>> {log.bwa}"
        # Whether fastp read every pair is not taken from its messages (0.23 misspells
        # them): check_pairs counts the files, and the read ledger (labpipe.qc.metrics) checks
        # that every pair counted is either aligned or removed by a named filter.


rule check_pairs:
    input:
        r1=lambda wc: unit_of(wc).fq1,
        r2=lambda wc: unit_of(wc).fq2,
    output:
        "results/qc/pairs/{sample}.{unit}.pairs.json",
    priority: 100
    log:
        "logs/check_pairs/{sample}.{unit}.log",
    threads: 1
    resources:
        mem_mb=lambda wc: reads_resources(unit_fastqs(wc)).mem_mb,
        runtime=lambda wc: reads_resources(unit_fastqs(wc)).runtime,
    # Beside the alignment, not before it: markdup waits for both, so a unit whose R1
    # and R2 disagree stops its sample before anything is called from it.
    shell:
        "{STEP} check-pairs --sample {wildcards.sample} --unit {wildcards.unit}"
        " --fq1 {input.r1:q} --fq2 {input.r2:q} --out {output} 2> {log}"


rule markdup:
    input:
        bams=lambda wc: expand(
            "results/bam/units/{sample}.{unit}.bam",
            sample=wc.sample,
            unit=[u.unit for u in units_of_sample(wc.sample)],
        ),
        pairs=lambda wc: expand(
            "results/qc/pairs/{sample}.{unit}.pairs.json",
            sample=wc.sample,
            unit=[u.unit for u in units_of_sample(wc.sample)],
        ),
    output:
        bam="results/bam/{sample}.bam",
        bai="results/bam/{sample}.bam.bai",
        stats="results/qc/samtools/{sample}.markdup.txt",
    params:
        tmp="results/bam/{sample}.markdup",
        # One lane needs no merge: markdup reads the lane's BAM itself.
        merge=lambda wc, input: (
            "samtools merge -f -u -o - " + " ".join(map(shlex.quote, input.bams)) + " | "
            if len(input.bams) > 1
            else ""
        ),
        source=lambda wc, input: "-" if len(input.bams) > 1 else shlex.quote(input.bams[0]),
    priority: 100
    log:
        "logs/markdup/{sample}.log",
    threads: THREADS
    resources:
        mem_mb=lambda wc, threads: markdup_resources(sample_fastqs(wc.sample), threads).mem_mb,
        runtime=lambda wc, threads: markdup_resources(sample_fastqs(wc.sample), threads).runtime,
    conda:
        str(ENVS / "align.yaml")
    shell:
        "({params.merge}samtools markdup -@ {threads} -s -f {output.stats}.partial -T {params.tmp} -O bam"
        " --write-index {params.source} {output.bam}.partial##idx##{output.bai}.partial"
        " && " + FINISH + " {output}) > {log} 2>&1"
