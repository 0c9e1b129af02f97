"""The batch page (``results/report/batch.html``): who is whom in the batch.

The kinship of every pair of samples as a heat map, the pairs whose relatedness is not what
the pedigree says, each sample's contamination estimate, and what these checks did not
look at (:mod:`labpipe.qc.identity`). Self-contained like the sample reports; linked from
the run's ``index.html``.
"""

from __future__ import annotations

from pathlib import Path

from labpipe import __version__
from labpipe.config.lab import LabConfig
from labpipe.config.settings import config_sha256
from labpipe.core.atomic import write_text_atomic
from labpipe.core.i18n import ENGLISH, choose_language, using_language
from labpipe.qc.contamination import FLOOR, MIN_SITE_DEPTH
from labpipe.qc.identity import BatchIdentity, read_identity
from labpipe.qc.kinship import DUPLICATE_CUT, FIRST_DEGREE_CUT, SECOND_DEGREE_CUT
from labpipe.report.build import report_time
from labpipe.report.html import templates
from labpipe.report.svg_plots import kinship_heatmap


def render_batch_page(
    identity: BatchIdentity,
    config: LabConfig,
    generated: str,
    config_hash: str,
    language: str = ENGLISH,
) -> str:
    """The page's HTML, in ``language``."""
    with using_language(language):  # the flags, estimates and plot labels Python words too
        return _render(identity, config, generated, config_hash, language)


def _render(
    identity: BatchIdentity, config: LabConfig, generated: str, config_hash: str, language: str
) -> str:
    from markupsafe import Markup

    heatmap = kinship_heatmap(
        identity.samples,
        {frozenset((p.first, p.second)): p.kinship for p in identity.pairs},
        {frozenset((f.first, f.second)) for f in identity.flags},
    )
    qc = config.qc
    return (
        templates(language)
        .get_template("batch.html")
        .render(
            lab_name=config.lab.name,
            identity=identity,
            heatmap=Markup(heatmap),  # built from escaped text by svg_plots
            estimated=[p for p in identity.pairs if p.kinship is not None],
            not_estimated=[p for p in identity.pairs if p.kinship is None],
            min_kinship_sites=qc.min_kinship_sites,
            min_contamination_sites=qc.min_contamination_sites,
            max_contamination=qc.max_contamination,
            warn_contamination=qc.warn.max_contamination,
            floor=FLOOR,
            site_depth=MIN_SITE_DEPTH,
            cuts=(DUPLICATE_CUT, FIRST_DEGREE_CUT, SECOND_DEGREE_CUT),
            generated=generated,
            config_hash=config_hash,
            version=__version__,
        )
    )


def write_batch_page(config: LabConfig, identity_json: Path, out_html: Path) -> None:
    """Write ``batch.html`` from the batch's ``identity.json``."""
    language = choose_language(config.report.language)
    text = render_batch_page(
        read_identity(identity_json),
        config,
        report_time(config, language=language),
        config_sha256(config),
        language,
    )
    write_text_atomic(out_html, text)
