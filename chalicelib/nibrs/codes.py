"""The FBI's NIBRS code lists, read from the vendored XSD into `codes.json`.

The profile is checked against these lists at every cold start, where loading lxml and
compiling the schema would cost too much: `python -m chalicelib.nibrs.codes` (`make
nibrs-codes`) regenerates the file with the standard library's XML parser, and a unit test
regenerates it and compares.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

XSD_DIR = Path(__file__).parent / "xsd"
CODES_FILE = Path(__file__).parent / "codes.json"
XS = "{http://www.w3.org/2001/XMLSchema}"

LISTS: dict[str, tuple[str, str]] = {
    "offense": ("nibrs/2019/nibrs-codes.xsd", "OffenseCodeSimpleType"),
    "location_type": ("nibrs/2019/nibrs-codes.xsd", "LocationCategoryCodeSimpleType"),
    "property_description": (
        "niem/codes/fbi_ucr/3.2/fbi_ucr.xsd",
        "PropertyCategoryCodeSimpleType",
    ),
    "property_loss": ("cjis/2.0/cjis-codes.xsd", "ItemStatusCodeSimpleType"),
    "victim_type": ("niem/codes/fbi_ucr/3.2/fbi_ucr.xsd", "VictimCategoryCodeSimpleType"),
    "sex": ("niem/codes/fbi_ncic/3.2/fbi_ncic.xsd", "SEXCodeSimpleType"),
    "race": ("niem/codes/fbi_ndex/3.1/fbi_ndex.xsd", "RACCodeSimpleType"),
    "ethnicity": ("niem/codes/fbi_ucr/3.2/fbi_ucr.xsd", "EthnicityCodeSimpleType"),
    "resident_status": ("niem/codes/fbi_ucr/3.2/fbi_ucr.xsd", "ResidentCodeSimpleType"),
}
"""Each list: the schema file and the simple type whose enumeration it is."""

AGE_TEXTS = {
    "NEONATAL": "under 24 hours old",
    "NEWBORN": "1 to 6 days old",
    "BABY": "7 to 364 days old",
    "UNKNOWN": "age unknown",
}
"""Age of victim (element 26) beside a number of years: the IEPD's words for NIBRS's NN, NB, BB
and 00. The schema types them as free text (nc:MeasureValueText), so they are not read from
it; the IEPD's sample instances list them."""


def generate() -> dict[str, dict[str, str]]:
    """Every list, code to the schema's own words for it."""
    from xml.etree import ElementTree  # only to regenerate: the cold start reads the JSON

    lists: dict[str, dict[str, str]] = {}
    for name, (file, simple_type) in LISTS.items():
        root = ElementTree.parse(XSD_DIR / file).getroot()  # noqa: S314 (our vendored XSD)
        found = root.find(f"{XS}simpleType[@name='{simple_type}']")
        if found is None:
            raise LookupError(f"{simple_type} is not in {file}")
        lists[name] = {
            enumeration.attrib["value"]: " ".join(
                (enumeration.findtext(f"{XS}annotation/{XS}documentation") or "").split()
            )
            for enumeration in found.iter(f"{XS}enumeration")
        }
    lists["age_text"] = dict(AGE_TEXTS)
    return lists


def render(lists: dict[str, dict[str, str]]) -> str:
    return json.dumps(lists, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


@cache
def code_lists() -> dict[str, dict[str, str]]:
    loaded: dict[str, dict[str, str]] = json.loads(CODES_FILE.read_text(encoding="utf-8"))
    return loaded


def main() -> int:
    CODES_FILE.write_text(render(generate()), encoding="utf-8")
    print(f"{CODES_FILE}: {', '.join(f'{k} {len(v)}' for k, v in code_lists().items())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
