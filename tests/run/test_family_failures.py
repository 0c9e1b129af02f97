"""A failed step of a family called jointly: which samples have no result."""

from __future__ import annotations

from pathlib import Path

from labpipe.run.pipeline import failed_samples
from labpipe.run.progress import Job, RunOutcome


def test_a_family_step_fails_every_member_and_a_member_step_only_its_sample() -> None:
    outcome = RunOutcome(
        1,
        [
            Job("family_call_chunk", wildcards={"family": "FAM1", "chunk": "2"}, logs=["a.log"]),
            Job("member_opinion", wildcards={"family": "FAM2", "sample": "K2"}, logs=["b.log"]),
            Job("markdup", wildcards={"sample": "S9"}, logs=["c.log"]),
        ],
        Path("run.log"),
        [],
    )
    families = {"FAM1": ("K1", "M1"), "FAM2": ("K2", "M2")}
    assert failed_samples(outcome, families) == {
        "K1": "step 'family_call_chunk' failed, see a.log",
        "M1": "step 'family_call_chunk' failed, see a.log",
        "K2": "step 'member_opinion' failed, see b.log",
        "S9": "step 'markdup' failed, see c.log",
    }
    assert Job("family_vcf", wildcards={"family": "FAM1"}).label() == "family_vcf FAM1"
