# Alignment per unit, then lanes merged and duplicates marked per sample.


rule bwa_mem:
    input:
        r1="results/trimmed/{sample}.{unit}.R1.fastq.gz",
        r2="results/trimmed/{sample}.{unit}.R2.fastq.gz",
        index=rules.reference_bwa_index.output,
    output:
        temp("results/bam/units/{sample}.{unit}.bam"),
    params:
        rg=lambda wc: unit_of(wc).read_group(),
        ref=REF,
        tmp="results/bam/units/{sample}.{unit}.sort",
    log:
        "logs/bwa_mem/{sample}.{unit}.log",
    threads: THREADS
    conda:
        str(ENVS / "align.yaml")
    # -K fixes the batch size so results do not depend on the thread count.
    # fixmate adds the mate tags markdup needs; no SAM is written on the way.
    shell:
        "(bwa mem -t {threads} -K 10000000 -Y -R '{params.rg}' {params.ref} {input.r1} {input.r2}"
        " | samtools fixmate -m -u - -"
        " | samtools sort -@ {threads} -m 512M -T {params.tmp} -o {output} -) 2> {log}"


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
    log:
        "logs/markdup/{sample}.log",
    threads: THREADS
    conda:
        str(ENVS / "align.yaml")
    shell:
        "(samtools merge -f -u -o - {input}"
        " | samtools markdup -@ {threads} -s -f {output.stats} -T {params.tmp} - {output.bam}"
        " && samtools index -@ {threads} {output.bam} {output.bai}) > {log} 2>&1"
