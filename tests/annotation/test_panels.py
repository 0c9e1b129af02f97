"""Gene panels: gene lists and BEDs, per sample, with unknown genes kept visible."""

from __future__ import annotations

from pathlib import Path

import pytest

from labpipe.annotation.panels import (
    PanelSpec,
    check_panels,
    load_panel,
    panel_specs,
    sample_panel_genes,
)
from labpipe.annotation.transcripts import Exon, TranscriptModel
from labpipe.core.errors import ConfigError, InputFormatError
from tests.builders import lab_config


def model(gene: str, chrom: str, start: int, end: int) -> TranscriptModel:
    return TranscriptModel(
        transcript_id=f"T-{gene}",
        gene_id=f"G-{gene}",
        gene_name=gene,
        chrom=chrom,
        start=start,
        end=end,
        strand="+",
        biotype="protein_coding",
        tags=frozenset(),
        exons=(Exon(start, end),),
    )


MODELS = {
    m.transcript_id: m
    for m in (model("HBB", "chr11", 5000, 6000), model("HBA1", "chr16", 100, 900))
}


def test_gene_list_with_comments_and_unknown_gene(tmp_path: Path) -> None:
    path = tmp_path / "thal.txt"
    path.write_text("# thalassaemia v2\nHBB\nHBA1  alpha globin\n\nHBQ9\n")
    panel = load_panel(PanelSpec("Thal", path), MODELS)
    assert panel.genes == {"HBB", "HBA1", "HBQ9"}
    assert panel.unknown_genes == ("HBQ9",)


def test_bed_panel_genes_are_those_its_regions_overlap(tmp_path: Path) -> None:
    path = tmp_path / "panel.bed"
    # 0-based half-open: 5999-6010 touches HBB's last base (6000); 900-950 misses HBA1.
    path.write_text("track name=x\n11\t5999\t6010\tHBB_ex3\n16\t900\t950\toff\n")
    panel = load_panel(PanelSpec("Thal", path), MODELS)
    assert panel.genes == {"HBB"}


def test_bed_panel_without_gff3_uses_the_name_column(tmp_path: Path) -> None:
    path = tmp_path / "panel.bed"
    path.write_text("chr11\t1\t10\tHBB\nchr16\t1\t10\tHBA1\n")
    assert load_panel(PanelSpec("Thal", path), None).genes == {"HBB", "HBA1"}


def test_empty_panel_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("# nothing yet\n")
    with pytest.raises(InputFormatError, match="lists no gene"):
        load_panel(PanelSpec("Empty", path), MODELS)


def test_panels_apply_to_their_samples(tmp_path: Path) -> None:
    panels = [
        {"name": "Thal", "file": "thal.txt"},
        {"name": "Deafness", "file": "/abs/deaf.txt", "samples": ["PK002"]},
    ]
    specs = panel_specs(lab_config(tmp_path, annotation={"panels": panels}).annotation.panels)
    assert specs[0].file == tmp_path / "thal.txt" and specs[1].file == Path("/abs/deaf.txt")
    panels = [
        load_panel(PanelSpec("Thal", _write(tmp_path / "thal.txt", "HBB\n")), MODELS),
        load_panel(PanelSpec("Deafness", _write(tmp_path / "deaf.txt", "GJB2\n")), None),
    ]
    assert sample_panel_genes(panels, specs, "PK001") == {"Thal": {"HBB"}}
    assert set(sample_panel_genes(panels, specs, "PK002")) == {"Thal", "Deafness"}


def test_panel_problems_are_reported_together(tmp_path: Path) -> None:
    specs = (
        PanelSpec("Thal", tmp_path / "missing.txt", ("PK009",)),
        PanelSpec("Thal", _write(tmp_path / "ok.txt", "HBB\n")),
    )
    with pytest.raises(ConfigError) as caught:
        check_panels(specs, ["PK001", "PK002"])
    text = caught.value.render()
    assert "sample 'PK009' is not in the sample sheet" in text
    assert "missing.txt does not exist" in text
    assert "panel name 'Thal' is used twice" in text


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
