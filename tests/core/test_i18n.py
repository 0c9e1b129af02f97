"""Languages: which one is chosen, and catalogs that hold every marked string, translated,
following the glossary (docs/glossary.md)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from labpipe.core.i18n import (
    CHINESE,
    ENGLISH,
    LANG_ENV,
    URDU,
    _,
    catalog_path,
    choose_language,
    format_number,
    language_of,
    left_to_right,
    using_language,
)
from tests.paths import REPO


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "i18n_catalogs", REPO / "scripts" / "i18n_catalogs.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CATALOGS = load_script()


@pytest.fixture(scope="module")
def template() -> Catalog:
    """Every string marked in labpipe, extracted by Babel as `update` extracts it."""
    return CATALOGS.extract()


@pytest.mark.parametrize(
    ("environ", "configured", "expected"),
    [
        ({}, None, ENGLISH),
        ({"LANG": "ur_PK.UTF-8"}, None, URDU),
        ({"LANG": "zh_CN.UTF-8"}, "auto", CHINESE),
        ({"LANG": "C.UTF-8"}, None, ENGLISH),
        ({"LC_ALL": "en_GB.UTF-8", "LANG": "ur_PK.UTF-8"}, None, ENGLISH),
        ({"LANG": "ur_PK.UTF-8"}, "zh_Hans", CHINESE),  # the config over the locale
        ({LANG_ENV: "ur", "LANG": "zh_CN.UTF-8"}, "zh_Hans", URDU),  # --lang over both
        ({"LANG": "fr_FR.UTF-8"}, None, ENGLISH),  # a language labpipe does not speak
    ],
)
def test_language_is_lang_option_then_config_then_locale(
    environ: dict[str, str], configured: str | None, expected: str
) -> None:
    assert choose_language(configured, environ) == expected


def test_locale_names_map_to_labpipes_languages() -> None:
    assert language_of("zh-Hans") == language_of("zh_SG") == language_of("zh") == CHINESE
    assert language_of("ur_IN.UTF-8@latin") == URDU
    assert language_of("zh_TW") is None  # traditional script: not offered, English instead


def test_messages_numbers_and_isolates_in_each_language() -> None:
    with using_language(URDU):
        assert _("Coverage") == "کوریج"
        assert left_to_right("ENST1.1:c.1A>G") == "\u2066ENST1.1:c.1A>G\u2069"
    with using_language(CHINESE):
        assert _("Coverage") == "覆盖度"
        assert left_to_right("HBB") == "HBB"
    assert _("Coverage") == "Coverage"
    assert _("a message no catalog has") == "a message no catalog has"
    assert format_number(1234567.5, 1, URDU) == "1,234,567.5"
    assert format_number(26862, 0, CHINESE) == "26,862"


def test_every_catalog_has_every_marked_string_translated(template: Catalog) -> None:
    assert len(template) > 150  # the templates and the messages, not an empty extraction
    assert template.get("Quality control") and template.get("Results:")
    assert template.get("ClinVar pathogenic / likely pathogenic")  # a tier title, unmarked
    found = [line for path in CATALOGS.catalogs() for line in CATALOGS.problems(template, path)]
    assert found == [], "\n".join(found) + "\nrun: python scripts/i18n_catalogs.py update"


def test_the_check_finds_missing_fuzzy_stale_and_broken_entries(
    template: Catalog, tmp_path: Path
) -> None:
    with open(catalog_path(URDU), "rb") as handle:
        catalog = read_po(handle)
    catalog.delete("Coverage")
    catalog["Limitations"].flags.add("fuzzy")
    catalog.add("A string labpipe no longer has", "کچھ")
    catalog["Tier %(tier)s"].string = "درجہ"  # the number dropped
    broken = tmp_path / "labpipe.po"
    with open(broken, "wb") as handle:
        write_po(handle, catalog)
    found = "\n".join(CATALOGS.problems(template, broken))
    assert "missing: 'Coverage'" in found
    assert "fuzzy (review it, then remove the fuzzy flag): 'Limitations'" in found
    assert "stale (no longer in labpipe): 'A string labpipe no longer has'" in found
    assert "placeholders differ from the English: 'Tier %(tier)s'" in found


def test_no_message_is_marked_where_babel_cannot_see_it() -> None:
    """Babel does not look inside f-strings (Python 3.11): `f"{_('done')}"` is never extracted."""
    hidden = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "src" / "labpipe").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"""f["'][^"']*\{(_|N_|ngettext)\(""", line)
    ]
    assert hidden == []


def glossary() -> list[tuple[str, list[str], str]]:
    """The glossary's terms: English, the Urdu forms, the Chinese word."""
    text = (REPO / "docs" / "glossary.md").read_text()
    terms = text.split("## Terms", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in terms.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("English", "---"):
            rows.append((cells[0], cells[1].split(", "), cells[2]))
    return rows


def test_the_catalogs_use_the_glossary_terms() -> None:
    terms = glossary()
    assert len(terms) >= 25
    with open(catalog_path(URDU), "rb") as handle:
        urdu = read_po(handle)
    with open(catalog_path(CHINESE), "rb") as handle:
        chinese = read_po(handle)
    wrong = []
    for message in urdu:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[1]
        # Config keys and paths inside <code>, and %(names)s or {names}, are not words of
        # the sentence.
        english = CATALOGS.PLACEHOLDER.sub("", re.sub(r"<code>.*?</code>", "", english))
        english = english.replace("\xad", "")
        ur = "".join(CATALOGS._strings(message.string))
        zh = "".join(CATALOGS._strings(chinese[message.id].string))
        for term, urdu_forms, chinese_word in terms:
            if re.search(rf"\b{re.escape(term)}s?\b", english, re.IGNORECASE):
                if not any(form in ur for form in urdu_forms):
                    wrong.append(f"ur {term!r} -> {urdu_forms[0]}: {english!r}")
                if chinese_word not in zh:
                    wrong.append(f"zh {term!r} -> {chinese_word}: {english!r}")
    assert wrong == [], "\n".join(wrong)
