"""What building a reference's indexes needs, and what a reference must not hold.

:func:`build_needs` scales memory, disk and time from the FASTA's size, and
:func:`require_build_resources` stops before a build this computer cannot finish;
:func:`alt_contig_warning` names ALT contigs, which labpipe does not map ALT-aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labpipe.core.errors import RunError

# CPU minutes per GB. bwa: GRCh38 (3.1 GB of FASTA) takes about 5 GB of memory and an
# hour (bwtsw); its files are 1.72 times the FASTA (measured here, chr20 and 50 Mb of
# random sequence). minimap2 -x sr: measured here on 50 Mb of random sequence (405 MB of
# memory, an index 3.1 times the FASTA, 1.2 CPU s); random sequence has no repeats, so
# these are upper bounds for a genome, not measured on GRCh38.
_BUILD_PER_FASTA_BYTE: dict[str, tuple[float, float, float]] = {
    "samtools faidx": (0.0, 0.0, 1.0),
    "bwa index": (1.6, 1.75, 20.0),
    "minimap2 index": (8.0, 3.2, 2.0),
}
_BUILD_MIN_MEMORY = 200 * 10**6


@dataclass(frozen=True)
class BuildNeeds:
    """What building some indexes of one FASTA takes (estimates scaled from its size).

    Attributes:
        tools: The indexes to build (``samtools faidx``, ``bwa index``, ``minimap2 index``).
        memory: Peak memory in bytes (the builds run one after another).
        disk: Bytes the new index files take beside the FASTA.
        minutes: CPU minutes, all builds together (each builds on one core).
    """

    tools: tuple[str, ...]
    memory: int
    disk: int
    minutes: int

    def describe(self) -> str:
        """'about 5.0 GB of memory, 5.4 GB of disk and 62 min' for the user."""
        from labpipe.inputs.disk import human

        time = f"{self.minutes} min" if self.minutes >= 1 else "under a minute"
        return f"about {human(self.memory)} of memory, {human(self.disk)} of disk and {time}"


def build_needs(fasta: Path, tools: list[str]) -> BuildNeeds:
    """Memory, disk and time to build ``tools``' indexes of ``fasta``, from its size."""
    size = Path(fasta).stat().st_size
    rates = [_BUILD_PER_FASTA_BYTE[tool] for tool in tools]
    memory = max([_BUILD_MIN_MEMORY, *(int(size * mem) for mem, _, _ in rates)])
    disk = sum(int(size * per) for _, per, _ in rates)
    minutes = round(sum(size / 1e9 * per_gb for _, _, per_gb in rates))
    return BuildNeeds(tuple(tools), memory if tools else 0, disk, minutes)


def available_memory() -> int | None:
    """Memory the kernel says new work can use (MemAvailable), or None where not known."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def require_build_resources(fasta: Path, needs: BuildNeeds) -> None:
    """Stop before a build this computer has too little memory or disk for.

    Raises:
        RunError: Naming what the build needs and what is free, with what to do.
    """
    from labpipe.inputs.disk import free_bytes, human

    if not needs.tools:
        return
    problems = []
    memory = available_memory()
    if memory is not None and memory < needs.memory:
        problems.append(
            f"it needs about {human(needs.memory)} of memory and {human(memory)} is available:"
            " close other programs, or build on a computer with more memory and copy the index"
            f" files and {fasta.name}.labpipe-index.json beside the FASTA"
        )
    free = free_bytes(fasta.parent)
    if free < needs.disk:
        problems.append(
            f"its files take about {human(needs.disk)} and {fasta.parent} has {human(free)}"
            " free: free space there, or put the FASTA on a disk with more room"
        )
    if problems:
        raise RunError(f"{fasta}: cannot build the {' and '.join(needs.tools)}", problems)


#: bwakit's list of ALT contigs beside the FASTA (bwa reads it to map ALT-aware).
ALT_FILE_SUFFIX = ".alt"


def alt_contig_warning(fasta: Path, contigs: list[str]) -> str | None:
    """A warning when the reference has ALT contigs (or HLA contigs, or a ``.alt`` file).

    labpipe maps without ALT awareness: a read from a region that also has an ALT copy
    aligns equally well to both and gets MAPQ 0, below the caller's ``min_mapq``.
    """
    alt = [name for name in contigs if name.lower().endswith("_alt")]
    hla = [name for name in contigs if name.startswith("HLA-")]
    alt_file = Path(f"{fasta}{ALT_FILE_SUFFIX}")
    if not (alt or hla or alt_file.exists()):
        return None
    found = [
        f"{len(names):,} {kind} contig(s) ({', '.join(names[:3])}{', …' if len(names) > 3 else ''})"
        for kind, names in (("ALT", alt), ("HLA", hla))
        if names
    ]
    if alt_file.exists():
        found.append(f"an ALT list beside it ({alt_file.name})")
    return (
        f"reference {fasta} has {' and '.join(found)}: labpipe aligns without ALT-aware"
        " mapping, so reads from the many genes that also have an ALT copy (HLA, KIR and"
        " hundreds of others) align equally well to both, get mapping quality 0 and are not"
        " called (calling.min_mapq). Use a reference without ALT contigs: the GRCh38 no-ALT"
        " analysis set (GCA_000001405.15_GRCh38_no_alt_analysis_set) or Ensembl's primary"
        " assembly (Homo_sapiens.GRCh38.dna.primary_assembly.fa)"
    )
