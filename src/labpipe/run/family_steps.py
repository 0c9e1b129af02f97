"""``labpipe step …`` commands of families and batch identity: inheritance labels, the family
page, the identity sites and checks, and the batch page.

Registered on the same ``step`` group as :mod:`labpipe.run.steps` (``labpipe.cli.main`` imports
this module where it assembles the group); thin in the same way, each calls one function of the
package.
"""

from __future__ import annotations

from pathlib import Path

import click

from labpipe.run.steps import _FILE, _annotation, _lab_config, step


@step.command()
@click.option("--config", required=True, type=_FILE)
@click.option("--family", required=True)
@click.option("--vcf", required=True, type=_FILE)
@click.option("--fai", required=True, type=_FILE)
@click.option("--out", required=True, type=_FILE)
def inheritance(config: Path, family: str, vcf: Path, fai: Path, out: Path) -> None:
    """Inheritance labels of a family's affected children from the family's joint calls."""
    from labpipe.annotation.inheritance import label_family
    from labpipe.annotation.trio_rules import InheritanceRules
    from labpipe.config.pedigree_reader import batch_pedigree
    from labpipe.core.regions import read_fai
    from labpipe.qc.sex_chromosomes import sex_chromosomes

    lab = _lab_config(config, None)
    chromosomes = sex_chromosomes(read_fai(fai), lab.reference.build, lab.reference.par_regions)
    haploid_x = (
        None
        if chromosomes.problem
        else [r for r in chromosomes.haploid if r.contig == chromosomes.x]
    )
    rules = InheritanceRules.from_config(lab.annotation.inheritance)
    rows = label_family(vcf, batch_pedigree(lab), family, rules, haploid_x, out)
    click.echo(f"{rows} variant(s) of family {family}'s affected children labelled")
    if haploid_x is None:
        click.echo(f"chrX of male children not assessed: {chromosomes.problem}")


@step.command("family-report")
@click.option("--config", required=True, type=_FILE)
@click.option("--outdir", required=True, type=_FILE)
@click.option("--family", required=True)
@click.option("--inheritance", "inheritance_table", required=True, type=_FILE)
@click.option("--qc", required=True, type=_FILE, help="The run's qc_summary.tsv.")
@click.option("--identity", type=_FILE, default=None, help="The batch's identity.json.")
@click.option(
    "--member", "members", multiple=True, type=_FILE, help="A member's <sample>.tsv (repeat)."
)
@click.option("--out", required=True, type=_FILE)
@click.argument("variants", nargs=-1, type=_FILE)
def family_report(
    config: Path,
    outdir: Path,
    family: str,
    inheritance_table: Path,
    qc: Path,
    identity: Path | None,
    members: tuple[Path, ...],
    out: Path,
    variants: tuple[Path, ...],
) -> None:
    """A family's page: its affected children's candidates by inheritance model (VARIANTS:
    the children's <sample>.tsv tables), naming the members that failed or warned QC."""
    from labpipe.config.pedigree_reader import batch_pedigree
    from labpipe.report.family import write_family_page
    from labpipe.report.family_trust import read_family_qc

    lab = _lab_config(config, outdir)
    family_qc = read_family_qc(batch_pedigree(lab), family, qc, identity, members, lab.qc)
    listed = write_family_page(lab, family, inheritance_table, variants, out, family_qc)
    click.echo(f"family {family}: {listed} candidate(s) listed")
    for member in family_qc.doubtful():
        click.echo(f"{member.sample}: QC {member.status}: {member.checks()}")


@step.command("identity-sites")
@click.option("--targets", type=_FILE, default=None)
@click.option("--out", required=True, type=_FILE)
@click.argument("vcfs", nargs=-1, type=_FILE)
def identity_sites(targets: Path | None, out: Path, vcfs: tuple[Path, ...]) -> None:
    """The batch's SNV sites every sample is genotyped at for the identity checks."""
    from labpipe.qc.batch_genotypes import select_sites, write_sites

    sites = select_sites(vcfs, targets)
    write_sites(sites, out)
    click.echo(f"{len(sites)} SNV sites from {len(vcfs)} samples")


@step.command()
@click.option("--config", required=True, type=_FILE)
@click.option("--sites", required=True, type=_FILE)
@click.option("--genotypes", required=True, type=_FILE)
@click.option("--sample", "samples", multiple=True, help="The batch's samples (repeat).")
@click.option("--out", required=True, type=_FILE)
def identity(
    config: Path, sites: Path, genotypes: Path, samples: tuple[str, ...], out: Path
) -> None:
    """Kinship of every pair of the batch and each sample's contamination."""
    from labpipe.config.pedigree_reader import batch_pedigree
    from labpipe.qc.batch_genotypes import read_batch_genotypes, read_sites, with_population_af
    from labpipe.qc.identity import assess_batch, write_identity

    lab = _lab_config(config, None)
    population = _annotation(lab).population
    batch = read_batch_genotypes(
        genotypes, with_population_af(read_sites(sites), lab.reference.fasta, population), samples
    )
    known = sum(s.population_af is not None for s in batch.sites)
    click.echo(f"{len(batch.sites)} SNV sites, {known} with a population AF")
    checked = assess_batch(batch, batch_pedigree(lab), lab.qc)
    write_identity(checked, out)
    for pair in checked.pairs:
        click.echo(f"{pair.first} {pair.second}: kinship {pair.shown}")
    for estimate in checked.contamination:
        click.echo(f"{estimate.sample}: contamination {estimate.shown}")
    for flag in checked.flags:
        click.echo(flag.message)


@step.command("batch-report")
@click.option("--config", required=True, type=_FILE)
@click.option("--outdir", required=True, type=_FILE)
@click.option("--identity", "identity_json", required=True, type=_FILE)
@click.option("--out", required=True, type=_FILE)
def batch_report(config: Path, outdir: Path, identity_json: Path, out: Path) -> None:
    """The batch page: kinship heat map, flagged pairs, contamination, what was not checked."""
    from labpipe.report.batch_page import write_batch_page

    write_batch_page(_lab_config(config, outdir), identity_json, out)
