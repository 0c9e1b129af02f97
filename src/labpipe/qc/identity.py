"""The batch's identity checks in one record: kinship of every pair, flags, contamination.

Written once per batch by ``labpipe step identity`` (``results/qc/identity/identity.json``)
and read by each sample's QC verdict (:func:`labpipe.qc.identity_verdict.identity_checks`) and by
the batch page of the report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from labpipe.config.lab import QcThresholds
from labpipe.config.pedigree import Pedigree
from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import InputFormatError
from labpipe.core.i18n import N_
from labpipe.qc.batch_genotypes import BatchGenotypes
from labpipe.qc.contamination import ContaminationEstimate, estimate_batch
from labpipe.qc.kinship import PairKinship, RelatednessFlag, pair_kinships, relatedness_flags

#: What the identity checks do not look at; the batch page and every verdict say so.
NOT_CHECKED = (
    N_(
        "sex chromosomes: kinship and contamination use autosomal SNVs only "
        "(sex is checked per sample)"
    ),
    N_(
        "samples of other batches: a swap with a sample run elsewhere is seen only as a "
        "declared relative who is not related"
    ),
    N_(
        "a swap between two samples of whom neither has declared relatives: nothing to compare with"
    ),
    N_("contamination below 1% (not told apart from sequencing error)"),
)


@dataclass(frozen=True)
class BatchIdentity:
    """The identity checks of one batch.

    Attributes:
        samples: The batch's samples, in genotype order.
        sites: SNV sites every sample was genotyped at.
        pairs: Every pair's kinship.
        flags: Pairs whose relatedness is not what the pedigree says.
        contamination: Every sample's contamination estimate.
        not_checked: What these checks do not cover.
    """

    samples: tuple[str, ...]
    sites: int
    pairs: tuple[PairKinship, ...]
    flags: tuple[RelatednessFlag, ...]
    contamination: tuple[ContaminationEstimate, ...]
    not_checked: tuple[str, ...] = NOT_CHECKED

    def estimate(self, sample: str) -> ContaminationEstimate | None:
        """The sample's contamination estimate; None for a sample not in the batch."""
        return next((c for c in self.contamination if c.sample == sample), None)

    def pairs_of(self, sample: str) -> list[PairKinship]:
        """The pairs ``sample`` is in."""
        return [p for p in self.pairs if sample in (p.first, p.second)]

    def kinship(self, first: str, second: str) -> PairKinship | None:
        """The pair of these two samples, in either order."""
        return next((p for p in self.pairs if {p.first, p.second} == {first, second}), None)


def assess_batch(
    batch: BatchGenotypes, pedigree: Pedigree, thresholds: QcThresholds
) -> BatchIdentity:
    """Kinship of every pair, the pedigree's flags and every sample's contamination."""
    pairs = pair_kinships(batch, thresholds.min_kinship_sites)
    return BatchIdentity(
        samples=batch.samples,
        sites=len(batch.sites),
        pairs=tuple(pairs),
        flags=tuple(relatedness_flags(pairs, pedigree)),
        contamination=tuple(estimate_batch(batch, thresholds.min_contamination_sites)),
    )


def write_identity(identity: BatchIdentity, out: Path) -> None:
    """Write the record as JSON, atomically."""
    write_text_atomic(out, json.dumps(asdict(identity), indent=2) + "\n")


def read_identity(path: Path) -> BatchIdentity:
    """Read a record written by :func:`write_identity`.

    Raises:
        InputFormatError: Naming the file when it is missing or not such a record.
    """
    try:
        data: dict[str, Any] = json.loads(Path(path).read_text())
        return BatchIdentity(
            samples=tuple(data["samples"]),
            sites=int(data["sites"]),
            pairs=tuple(PairKinship(**p) for p in data["pairs"]),
            flags=tuple(RelatednessFlag(**f) for f in data["flags"]),
            contamination=tuple(ContaminationEstimate(**c) for c in data["contamination"]),
            not_checked=tuple(data["not_checked"]),
        )
    except FileNotFoundError:
        raise InputFormatError(f"{path}: file not found") from None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise InputFormatError(f"{path}: not a labpipe identity record ({exc})") from None
