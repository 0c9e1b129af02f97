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
        adapters=lambda wc: adapter_args(unit_of(wc).platform, LP["trimming"].get("adapters")),
        poly_g="--trim_poly_g" if LP["trimming"]["poly_g"] else "--disable_trim_poly_g",
        min_length=LP["trimming"]["min_length"],
        trimming_sha256=STAGE_SHA["trimming"],
        rg=lambda wc: unit_of(wc).read_group(),
        ref=REF,
        tmp="results/bam/units/{sample}.{unit}.sort",
    priority: 100
    log:
        fastp="logs/fastp/{sample}.{unit}.log",
        bwa="logs/bwa_mem/{sample}.{unit}.log",
    threads: THREADS
    conda:
        str(ENVS / "align.yaml")
    # fastp streams trimmed pairs (interleaved) straight into bwa: no trimmed
    # FASTQ is compressed, written and read back, and no SAM is written.
    # bwa's -K fixes its batch size so results do not depend on the thread count;
    # fixmate adds the mate tags markdup needs. fastp does not estimate duplication
    # (samtools markdup counts it exactly, and fastp's estimate takes 1 GB of memory).
    shell:
        "(fastp --in1 {input.r1:q} --in2 {input.r2:q} --stdout"
        " {params.adapters} {params.poly_g} --length_required {params.min_length}"
        " --thread {threads} --dont_eval_duplication --report_title '{wildcards.sample} {wildcards.unit}'"
        " --json {output.json} --html {output.html} 2> {log.fastp}"
        " | bwa mem -p -t {threads} -K 10000000 -Y -R '{params.rg}' {params.ref:q} -"
        " | samtools fixmate -m -u - -"
        " | samtools sort -@ {threads} -m 512M -l 1 -T {params.tmp} -o {output.bam} -)"
        " 2> {log.bwa}"
        # fastp 0.23 reports a malformed record or unequal R1/R2 counts and then
        # exits 0 with the reads before it only: treat that as the failure it is.
        "; if grep -qE '^(ERROR|WARNN?ING: different read numbers)' {log.fastp}; then"
        " echo 'labpipe: fastp found malformed input in {input.r1:q} or {input.r2:q}' >> {log.fastp};"
        " exit 1; fi"


rule markdup:
    input:
        lambda wc: expand(
            "results/bam/units/{sample}.{unit}.bam",
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
            "samtools merge -f -u -o - " + " ".join(map(shlex.quote, input)) + " | "
            if len(input) > 1
            else ""
        ),
        source=lambda wc, input: "-" if len(input) > 1 else shlex.quote(input[0]),
    priority: 100
    log:
        "logs/markdup/{sample}.log",
    threads: THREADS
    conda:
        str(ENVS / "align.yaml")
    shell:
        "({params.merge}samtools markdup -@ {threads} -s -f {output.stats} -T {params.tmp}"
        " --write-index {params.source} {output.bam}##idx##{output.bai}) > {log} 2>&1"
