"""The names ``labpipe simulate --scenario`` accepts, kept light so that ``labpipe --help``
lists them without loading the simulator (:mod:`labpipe.simulation.scenarios` builds them)."""

from __future__ import annotations

from labpipe.simulation.genome_model import GENE_SPECS

#: The exercises, as docs/teaching/ names them (agreed in HELPERS.md).
SCENARIOS: tuple[str, ...] = (
    "pathogenic-variant",
    "low-depth",
    "high-duplicates",
    "adapter-readthrough",
    "sample-swap",
    "wrong-build",
    "chr-prefix-mismatch",
    "illumina-vs-dnbseq",
)
#: Genes of the synthetic demo genome a variant can be planted in.
GENES: tuple[str, ...] = tuple(spec.name for spec in GENE_SPECS)
#: Consequences a planted variant can be built to have: the demo planter's coding classes
#: (labpipe.simulation.demo_variants.CODING_PLAN; a test keeps the two in step).
CONSEQUENCES: tuple[str, ...] = (
    "frameshift",
    "stop_gained",
    "missense",
    "splice_donor",
    "splice_acceptor",
    "splice_region",
    "inframe_deletion",
    "inframe_insertion",
    "synonymous",
)
ZYGOSITIES: tuple[str, ...] = ("het", "hom")
