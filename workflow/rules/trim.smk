# Adapter and quality trimming with fastp, one job per unit (lane).


rule fastp:
    input:
        r1=lambda wc: unit_of(wc).fq1,
        r2=lambda wc: unit_of(wc).fq2,
    output:
        r1=temp("results/trimmed/{sample}.{unit}.R1.fastq.gz"),
        r2=temp("results/trimmed/{sample}.{unit}.R2.fastq.gz"),
        json="results/qc/fastp/{sample}.{unit}.fastp.json",
        html="results/qc/fastp/{sample}.{unit}.fastp.html",
    params:
        adapters=lambda wc: adapter_args(unit_of(wc).platform, LP["trimming"].get("adapters")),
        poly_g="--trim_poly_g" if LP["trimming"]["poly_g"] else "--disable_trim_poly_g",
        min_length=LP["trimming"]["min_length"],
    log:
        "logs/fastp/{sample}.{unit}.log",
    threads: min(THREADS, 4)
    conda:
        str(ENVS / "qc.yaml")
    shell:
        "fastp --in1 {input.r1} --in2 {input.r2} --out1 {output.r1} --out2 {output.r2}"
        " {params.adapters} {params.poly_g} --length_required {params.min_length}"
        " --compression 1 --thread {threads}"
        " --report_title '{wildcards.sample} {wildcards.unit}'"
        " --json {output.json} --html {output.html} > {log} 2>&1"
        # fastp 0.23 reports a malformed record or unequal R1/R2 counts and then
        # exits 0 with the reads before it only: treat that as the failure it is.
        "; if grep -qE '^(ERROR|WARNN?ING: different read numbers)' {log}; then"
        " echo 'labpipe: fastp found malformed input in {input.r1} or {input.r2}' >> {log};"
        " exit 1; fi"
