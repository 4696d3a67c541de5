"""Every string a resident reads has a Spanish translation, and the compiled catalog is current.

Strings are extracted in-process from the sources exactly as `scripts/translations.sh` does
(babel.cfg's rules), so a new `_("...")` anywhere fails here until the catalog is refreshed
(`make translations`) and translated.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import IO, Any

import pytest
from babel.messages import frontend
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from chalicelib.i18n import CATALOGS_DIR, DOMAIN, translator

PROJECT_DIR = Path(__file__).resolve().parents[2]
TEMPLATE = CATALOGS_DIR / f"{DOMAIN}.pot"
SPANISH_PO = CATALOGS_DIR / "es" / "LC_MESSAGES" / f"{DOMAIN}.po"
SPANISH_MO = SPANISH_PO.with_suffix(".mo")
REFRESH = "run scripts/translations.sh (make translations), then translate the new entries"

# printf-style conversions, as Python's `%` operator reads them: %(name)s, %d, %%.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[a-zA-Z%]")
END_PUNCTUATION = ".:?!"

# babel.cfg read as babel reads it: (pattern, method) pairs and each pattern's options.
# Babel ships this one function without annotations; these are the types it returns.
parse_mapping_cfg: Callable[[IO[str]], tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]] = (
    frontend.parse_mapping_cfg
)


def extracted_ids() -> dict[str, set[str]]:
    """Each msgid marked in the sources, with the files that use it."""
    with (PROJECT_DIR / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, set[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_DIR), method_map, options_map
    ):
        message_id = message[0] if isinstance(message, tuple) else message
        found.setdefault(message_id, set()).add(filename)
    return found


def load_po(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def translated_pairs(catalog: Catalog) -> dict[str, object]:
    return {str(message.id): message.string for message in catalog if message.id}


@pytest.fixture(scope="module")
def sources() -> dict[str, set[str]]:
    found = extracted_ids()
    assert found, "no strings were extracted: is babel.cfg in the project root?"
    return found


@pytest.fixture(scope="module")
def spanish() -> Catalog:
    return load_po(SPANISH_PO)


def strings_of(message_string: object) -> list[str]:
    return list(message_string) if isinstance(message_string, tuple) else [str(message_string)]


def placeholders(text: str) -> Counter[str]:
    return Counter(match.group(0) for match in PLACEHOLDER.finditer(text))


def test_every_extracted_string_has_a_spanish_translation(
    sources: dict[str, set[str]], spanish: Catalog
) -> None:
    missing = {
        message_id: sorted(files)
        for message_id, files in sources.items()
        if (entry := spanish.get(message_id)) is None
        or not all(text.strip() for text in strings_of(entry.string))
    }

    assert not missing, f"untranslated in {SPANISH_PO.name} ({REFRESH}): {missing}"


def test_the_template_lists_exactly_the_strings_in_the_sources(
    sources: dict[str, set[str]],
) -> None:
    with TEMPLATE.open("rb") as handle:
        listed = {str(message.id) for message in read_po(handle) if message.id}

    assert listed == set(sources), (
        f"{TEMPLATE.name} is stale ({REFRESH}): "
        f"new {sorted(set(sources) - listed)}, gone {sorted(listed - set(sources))}"
    )


def test_no_spanish_entry_is_fuzzy(spanish: Catalog) -> None:
    fuzzy = [message.id for message in spanish if message.id and message.fuzzy]

    assert not spanish.fuzzy, "the catalog header is marked fuzzy: pybabel compile would skip it"
    assert not fuzzy, f"fuzzy entries must be checked and unmarked: {fuzzy}"


def test_each_translation_keeps_the_placeholders_of_its_source(spanish: Catalog) -> None:
    wrong = {}
    for message in spanish:
        if not message.id:
            continue
        expected = placeholders(strings_of(message.id)[0])
        for text in strings_of(message.string):
            if text and placeholders(text) != expected:
                wrong[message.id] = text

    assert not wrong, f"placeholders differ from the English: {wrong}"


def test_each_translation_ends_like_its_source(spanish: Catalog) -> None:
    def ending(text: str) -> str:
        stripped = text.rstrip()
        return stripped[-1] if stripped and stripped[-1] in END_PUNCTUATION else ""

    different = {
        message.id: message.string
        for message in spanish
        if message.id and message.string and ending(str(message.id)) != ending(str(message.string))
    }

    assert not different, f"final punctuation differs from the English: {different}"


def test_the_compiled_catalog_matches_the_po_file(spanish: Catalog) -> None:
    compiled = BytesIO()
    write_mo(compiled, spanish)
    compiled.seek(0)
    with SPANISH_MO.open("rb") as handle:
        committed = read_mo(handle)

    assert committed.charset == "utf-8"
    assert translated_pairs(committed) == translated_pairs(read_mo(compiled)), (
        f"{SPANISH_MO.name} is older than {SPANISH_PO.name}: {REFRESH}"
    )


def test_the_service_reads_the_spanish_catalog() -> None:
    from chalicelib.rendering import template_environment

    spanish = template_environment("es")

    assert translator("es")("Check your email") == "Revise su correo electrónico"
    assert translator("en")("Check your email") == "Check your email"
    assert (
        spanish.from_string('{{ _("Step %(position)d of %(total)d", position=2, total=5) }}')
        .render()
        .strip()
        == "Paso 2 de 5"
    )
    assert spanish.filters["either_of"](["Riverton", "Lordship", "Stratford"]) == (
        "Riverton, Lordship o Stratford"
    )
