"""The files of a simulated family besides reads and truth VCFs: sample sheet and PED, truth
tables, the ClinVar-style source, the ready config, ``simulation.json`` and ``README.md``
(:mod:`labpipe.simulation.family` simulates and calls these)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import yaml

from labpipe import __version__
from labpipe.simulation.demo_sources import ClinVarEntry, Planted, write_clinvar
from labpipe.simulation.family_model import (
    Family,
    FamilyRequest,
    fitting_models,
    genotype_text,
    runs_of_homozygosity,
)
from labpipe.simulation.genome_model import GenomeModel
from labpipe.simulation.read_simulator import FastqPair
from labpipe.simulation.sequencer import PLATFORMS

#: ROH settings of the config written: runs of 1 Mb (labpipe's default) cannot occur on
#: contigs of 60-120 kb.
ROH_MIN_LENGTH_BP = 20_000
ROH_MIN_MARKERS = 10
INHERITANCE_COLUMNS = ("chrom", "pos", "ref", "alt", "gene", "model", "carriers", "planted")


def write_family_clinvar(path: Path, family: Family, model: GenomeModel) -> None:
    """A ClinVar-style source listing every planted variant as Pathogenic, so that the
    run's report is interpreted (synthetic, like the demo's)."""
    gene_ids = {g.name: g.gene_id for g in model.genes}
    entries = [
        ClinVarEntry(
            Planted(s.contig, s.pos + 1, s.ref, s.alt, s.kind, "", s.gene or "", ()),
            s.pos + 1,
            s.ref,
            s.alt,
            {
                "CLNSIG": "Pathogenic",
                "CLNREVSTAT": "criteria_provided,_multiple_submitters,_no_conflicts",
                "CLNDN": f"Simulated_{s.model}_disorder",
                "GENEINFO": f"{s.gene}:{gene_ids[s.gene or '']}",
            },
        )
        for s in family.sites
        if s.model
    ]
    write_clinvar(path, entries, {c: len(q) for c, q in model.contigs.items()})


def write_sheets(
    out: Path, request: FamilyRequest, family: Family, reads: dict[str, FastqPair]
) -> None:
    platform = PLATFORMS[request.platform].name
    sheet = ["sample\tunit\tfq1\tfq2\tplatform\tlibrary\tsex\tfamily\tfather\tmother\taffected"]
    ped = []
    for p in family.members:
        fq = reads[p.name]
        sheet.append(
            f"{p.name}\t{fq.unit}\treads/{fq.fq1.name}\treads/{fq.fq2.name}\t{platform}"
            f"\t{p.name}-lib1\t{p.sex}\t{request.family_id}\t{p.father or 0}\t{p.mother or 0}"
            f"\t{'yes' if p.affected else 'no'}"
        )
        ped.append(
            f"{request.family_id}\t{p.name}\t{p.father or 0}\t{p.mother or 0}"
            f"\t{1 if p.sex == 'male' else 2}\t{2 if p.affected else 1}"
        )
    (out / "samples.tsv").write_text("\n".join(sheet) + "\n")
    (out / "family.ped").write_text("\n".join(ped) + "\n")


def write_truth_tables(
    truth: Path, request: FamilyRequest, family: Family, model: GenomeModel
) -> None:
    genes = [(g.name, g.contig, g.start, g.end) for g in model.genes]
    fitting = fitting_models(family, genes)
    order = {c: i for i, c in enumerate(model.contigs)}
    rows = ["\t".join(INHERITANCE_COLUMNS)]
    for index in sorted(
        fitting, key=lambda i: (order[family.sites[i].contig], family.sites[i].pos)
    ):
        s = family.sites[index]
        gene = s.gene or next(
            (g for g, c, lo, hi in genes if c == s.contig and lo <= s.pos < hi), "."
        )
        carriers = ",".join(
            f"{p.name}:{genotype_text(family.alleles(p, index))}"
            for p in family.members
            if any(family.alleles(p, index))
        )
        rows.append(
            f"{s.contig}\t{s.pos + 1}\t{s.ref}\t{s.alt}\t{gene}\t{fitting[index]}\t{carriers}"
            f"\t{'yes' if s.model else 'no'}"
        )
    (truth / "inheritance.tsv").write_text("\n".join(rows) + "\n")
    identity = ["sample\treads_from\tcontaminant\tcontamination_fraction\tnote"]
    for p in family.members:
        source, contaminant, fraction, note = p.name, ".", "0", "reads are this person's"
        if request.swap and family.person(request.swap[0]).name == p.name:
            source = family.person(request.swap[1]).name
            note = f"swap: the file named {p.name} holds {source}'s reads"
        if request.contaminate and family.person(request.contaminate[0]).name == p.name:
            contaminant = family.person("unrelated").name
            fraction = f"{request.contaminate[1]:g}"
            note += f"; {fraction} of the reads from an unrelated person (not in the sheet)"
        identity.append(f"{p.name}\t{source}\t{contaminant}\t{fraction}\t{note}")
    (truth / "identity.tsv").write_text("\n".join(identity) + "\n")
    roh = [
        f"{c}\t{lo}\t{hi}\t{p.name}"
        for p in family.members
        for c, lo, hi in runs_of_homozygosity(family, p)
    ]
    (truth / "roh.bed").write_text("".join(line + "\n" for line in roh))


def family_config() -> dict[str, object]:
    """The config written beside the data (paths relative to it)."""
    return {
        "lab": {"name": "labpipe simulated family", "id": "simfamily"},
        "reference": {
            "fasta": "reference.fa",
            "build": "synthetic-demo",
            "par_regions": "par.tsv",
        },
        "targets": "targets.bed",
        "samples": "samples.tsv",
        "output_dir": "run",
        "threads": 2,
        "annotation": {
            "gff3": "genes.gff3",
            "clinvar": "clinvar.vcf.gz",
            "population_af": [
                {
                    "id": "popaf",
                    "name": "Simulated population allele frequencies",
                    "vcf": "population_af.vcf.gz",
                    "population": "simulated",
                    "population_field": "AF",
                    "global_field": "AF",
                }
            ],
            "roh": {"min_length_bp": ROH_MIN_LENGTH_BP, "min_markers": ROH_MIN_MARKERS},
        },
    }


def write_config(out: Path) -> Path:
    path = out / "config.yaml"
    path.write_text(
        "# labpipe config for this simulated family: labpipe run config.yaml\n"
        "# annotation.roh lowered from 1 Mb / 10 markers: the contigs are 60-120 kb.\n"
        + yaml.safe_dump(family_config(), sort_keys=False)
    )
    return path


def write_report(
    out: Path, request: FamilyRequest, family: Family, reads: dict[str, FastqPair]
) -> None:
    planted = [s for s in family.sites if s.model]
    report = {
        "schema_version": 1,
        "labpipe_version": __version__,
        "seed": request.seed,
        "structure": request.structure,
        "family": request.family_id,
        "consanguineous": request.consanguineous,
        "shared_segment": list(family.shared_segment) if family.shared_segment else None,
        "recombination": request.recombination,
        "swap": list(request.swap) if request.swap else None,
        "contaminate": list(request.contaminate) if request.contaminate else None,
        "platform": request.platform,
        "library_config": asdict(request.library),
        "sequencing_config": asdict(request.sequencing),
        "population_sites": sum(s.af is not None for s in family.sites),
        "planted": [
            {"model": s.model, "gene": s.gene, "consequence": s.kind, "chrom": s.contig,
             "pos": s.pos + 1, "ref": s.ref, "alt": s.alt}
            for s in planted
        ],
        "read_pairs": {name: fq.pairs for name, fq in reads.items()},
    }  # fmt: skip
    (out / "simulation.json").write_text(json.dumps(report, indent=2) + "\n")
    members = ", ".join(f"{p.name} ({p.role}, {p.sex})" for p in family.members)
    (out / "README.md").write_text(
        f"# Simulated family {request.family_id} (synthetic, seed {request.seed})\n\n"
        f"Members: {members}. The proband is affected.\n\n"
        "Run it: `labpipe run config.yaml` (the config lowers annotation.roh's minimum run\n"
        f"to {ROH_MIN_LENGTH_BP:,} bp and {ROH_MIN_MARKERS} markers: the contigs are 60-120\n"
        "kb).\n\n"
        "- `truth/<sample>.vcf.gz`: each person's true genotypes (a male's chrX haploid),\n"
        "  also of `<family>-unrelated`, not sequenced: the source of a contamination or of\n"
        "  `--swap A,unrelated`.\n"
        "- `truth/inheritance.tsv`: every variant of the proband whose true genotypes fit a\n"
        "  model (de_novo, hom_recessive, comp_het, x_linked); `planted` says whether it was\n"
        "  planted for it or is a population variant that fits by chance; `carriers` gives\n"
        "  each carrying member's genotype.\n"
        "- `truth/identity.tsv`: whose reads each file holds (swaps) and contamination.\n"
        "- `truth/roh.bed`: stretches where a person's two copies descend from one\n"
        "  haplotype (true runs of homozygosity).\n"
        "- chrX: a male has one copy (read at half depth); `par.tsv` declares a token 200-bp\n"
        "  PAR so that labpipe calls the rest of a male's chrX haploid. There is no chrY.\n"
    )
