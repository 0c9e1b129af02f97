"""One QC check of a sample and its statuses: what :mod:`labpipe.qc.verdict` and
:mod:`labpipe.qc.identity_verdict` both give."""

from __future__ import annotations

from dataclasses import dataclass

from labpipe.core.i18n import N_

PASS, WARN, FAIL, NOT_ASSESSED = N_("pass"), N_("warn"), N_("fail"), N_("not assessed")


@dataclass(frozen=True)
class QcCheck:
    """One metric of the verdict.

    Attributes:
        metric: For people, e.g. ``Mean target depth``.
        value: The measured value; None when not measured.
        shown: The value formatted, e.g. ``94.1x``.
        limits: The limits in words, e.g. ``fail < 50x, warn < 100x``.
        status: ``pass``, ``warn``, ``fail`` or ``not assessed``.
        note: Why a metric was not assessed, or what a warning suggests.
    """

    metric: str
    value: float | None
    shown: str
    limits: str
    status: str
    note: str = ""
