"""The FBI's schema, compiled once per process when first needed, and its refusals in words.

lxml's messages name an element by its namespace and quote the schema's facets; a clerk needs
the NIBRS data element, why, and which answer to correct, so each refusal becomes a
`NibrsProblem` naming them (lxml's own words are kept after the explanation for IT).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from .document import NibrsProblem

if TYPE_CHECKING:
    from .document import Incident

SCHEMA_FILE = Path(__file__).parent / "xsd" / "nibrs" / "2019" / "nibrs.xsd"
NS = {
    "nibrs": "http://fbi.gov/cjis/nibrs/2019",
    "cjis": "http://fbi.gov/cjis/2.0",
    "j": "http://release.niem.gov/niem/domains/jxdm/5.2/",
    "nc": "http://release.niem.gov/niem/niem-core/3.0/",
    "s": "http://release.niem.gov/niem/structures/3.0/",
}
PREFIXES = {uri: prefix for prefix, uri in NS.items()}

ELEMENTS: dict[str, str] = {
    "IdentificationID": "Identifier",
    "OffenseUCRCode": "Offense code (element 6)",
    "OffenseAttemptedIndicator": "Attempted/completed (element 7)",
    "OffenseFactorCode": "Offender suspected of using (element 8)",
    "OffenseFactorBiasMotivationCode": "Bias motivation (element 8A)",
    "LocationCategoryCode": "Location type (element 9)",
    "ItemStatusCode": "Type of property loss (element 14)",
    "ItemCategoryNIBRSPropertyCategoryCode": "Property description (element 15)",
    "Amount": "Value of property (element 16)",
    "VictimCategoryCode": "Type of victim (element 25)",
    "MeasureIntegerValue": "Age of victim (element 26)",
    "MeasureValueText": "Age of victim (element 26)",
    "PersonSexCode": "Sex of victim (element 27)",
    "PersonRaceNDExCode": "Race of victim (element 28)",
    "PersonEthnicityCode": "Ethnicity of victim (element 29)",
    "PersonResidentCode": "Resident status of victim (element 30)",
    "DateTime": "Incident date and hour (element 3)",
    "Date": "Incident date (element 3)",
    "YearMonthDate": "Month of the report",
    "ReportActionCategoryCode": "Action type",
    "NIBRSReportCategoryCode": "Submission type",
    "Location": "Location (element 9)",
    "Item": "Property (elements 14 to 16)",
    "Person": "Victim (elements 26 to 30)",
}
_ELEMENT = re.compile(r"^Element '\{([^}]*)\}([A-Za-z]+)'(?:, attribute '[^']*')?: ")
_VALUE = re.compile(r"(?:[Tt]he value |: )'([^']*)'")
_IN_ITEM = re.compile(r"/nc:Item(?:\[(\d+)\])?/")


@cache
def schema() -> Any:
    """The NIBRS 2019.1 schema with everything it imports, read from the vendored files."""
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


def _question(local: str, path: str, incident: Incident | None) -> str | None:
    if incident is None:
        return None
    if local == "LocationCategoryCode":
        return incident.location_question
    if local in {"DateTime", "Date"} and "ActivityDate" in path:
        return incident.date_question
    if local in {"Amount", "ItemCategoryNIBRSPropertyCategoryCode"}:
        found = _IN_ITEM.search(path)
        index = int(found.group(1) or 1) - 1 if found else 0
        if 0 <= index < len(incident.properties):
            prop = incident.properties[index]
            return prop.question if local == "Amount" else prop.description_question
    person = {
        "MeasureIntegerValue": "age",
        "MeasureValueText": "age",
        "PersonSexCode": "sex",
        "PersonRaceNDExCode": "race",
        "PersonEthnicityCode": "ethnicity",
        "PersonResidentCode": "resident_status",
    }.get(local)
    if person is not None:
        return incident.person_questions.get(person)
    return None


def _short_path(path: str | None) -> str | None:
    if not path:
        return None
    return re.sub(r"^/nibrs:Submission/", "", path)


def problem_of(error: Any, incident: Incident | None) -> NibrsProblem:
    """One lxml schema error as a clerk reads it."""
    raw = str(error.message)
    found = _ELEMENT.match(raw)
    local = found.group(2) if found else ""
    element = ELEMENTS.get(local, f"The {local or 'document'} element")
    value = _VALUE.search(raw)
    quoted = f"'{value.group(1)}'" if value else "Its value"
    if "enumeration" in raw:
        why = f"{quoted} is not one of the FBI's codes for this element."
    elif "pattern" in raw or "atomic type" in raw or "not a valid value" in raw:
        why = f"{quoted} is not written the way the FBI's schema requires."
    elif "is not expected" in raw or "Missing child" in raw:
        why = "An element is missing or out of the order the FBI's schema requires."
    else:
        why = "The FBI's schema refuses it."
    path = _short_path(getattr(error, "path", None))
    return NibrsProblem(
        element=element,
        message=f"{why} (Schema: {raw})",
        question=_question(local, path or "", incident),
        path=path,
    )


def schema_problems(xml: bytes, incident: Incident | None = None) -> tuple[NibrsProblem, ...]:
    """Why the FBI's schema refuses `xml`; empty when it is valid."""
    try:
        document = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as error:
        return (NibrsProblem("Document", f"It is not well-formed XML ({error}).", None, None),)
    checker = schema()
    if checker.validate(document):
        return ()
    return tuple(problem_of(error, incident) for error in checker.error_log)


def check_file(path: Path) -> tuple[NibrsProblem, ...]:
    """An XML file on disk against the schema (the FBI's samples begin with a licence comment,
    which etree takes as it comes)."""
    return schema_problems(path.read_bytes())
