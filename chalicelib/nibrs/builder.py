"""Builds one NIBRS Group A incident report from a report's answers (docs/nibrs.md).

The profile's `nibrs` section says which answers feed which data elements; this module writes
them in the IEPD 2019.1 shape (the FBI's sample `nibrs_GroupAIncident_Sample.xml`), then checks
the result against the vendored XSD and the edit rules of `edit_rules.py`. Imported only when a
document is built: it loads lxml.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from lxml import etree

from ..agency import VICTIM_CODES, NibrsChoice, NibrsLocation
from ..intake.answers import date_bounds
from .document import Incident, NibrsDocument, Property
from .edit_rules import edit_rule_problems
from .validation import NS, schema_problems

if TYPE_CHECKING:
    from ..agency import AgencyProfile, NibrsIncidentType, NibrsProfile
    from ..models import Report

IMPLEMENTATION_VERSION = "2019"
ZERO_VALUE_DESCRIPTIONS = frozenset({"09", "22", "48", "65", "66"})
"""Credit/debit cards, nonnegotiable instruments, documents, identity documents and intangible
identity: the FBI records them with a value of zero, whatever they cost."""


def _element(parent: Any, name: str, text: str | None = None, **attributes: str) -> Any:
    prefix, local = name.split(":")
    child = etree.SubElement(parent, f"{{{NS[prefix]}}}{local}")
    for key, value in attributes.items():
        child.set(f"{{{NS['s']}}}{key}", value)
    if text is not None:
        child.text = text
    return child


def _path(parent: Any, *names: str, text: str) -> Any:
    for name in names:
        parent = _element(parent, name)
    parent.text = text
    return parent


def incident_number(reference: str, short_code: str) -> str:
    """The case number (or a preview's reference) without the agency's short code in front:
    the ORI names the agency, and NIBRS's incident number holds 12 characters."""
    for prefix in (f"{short_code}-", short_code):
        if reference.startswith(prefix) and len(reference) > len(prefix):
            return reference[len(prefix) :]
    return reference


def _dollars(raw: object) -> Decimal | None:
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    if amount > 0 and amount < 1:
        return Decimal(1)  # the FBI's "value unknown" is $1: never round a loss down to nothing
    return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _location(answers: dict[str, Any], place: NibrsLocation) -> tuple[str, str | None]:
    if place.question is None:
        return place.default, None
    return place.codes.get(str(answers.get(place.question)), place.default), place.question


def _properties(
    answers: dict[str, Any], nibrs: NibrsProfile, mapping: NibrsIncidentType
) -> tuple[Property, ...]:
    source = mapping.property
    if source is None or mapping.property_loss == "NONE":
        return (Property(loss="NONE"),)
    if source.items is not None:
        rows = answers.get(source.items) or []
        found = [
            Property(
                loss=mapping.property_loss,
                value=_dollars(row.get("value")),
                description=nibrs.property_descriptions.get(str(row.get("kind")))
                or source.description,
                label=f"item {index} ({row.get('description') or 'no description'})",
                question=source.items,
                description_question=source.items,
            )
            for index, row in enumerate(rows, start=1)
            if isinstance(row, dict)
        ]
        return tuple(found) or (Property(loss="NONE"),)
    assert source.value is not None  # the profile names one source
    value = _dollars(answers.get(source.value))
    if value is not None and value == 0:
        return (Property(loss="NONE"),)  # "0 if none": nothing was lost
    description = source.description
    if source.description_question is not None:
        chosen = source.description_codes.get(str(answers.get(source.description_question)))
        description = chosen or description
    return (
        Property(
            loss=mapping.property_loss,
            value=value,
            description=description,
            label="the property",
            question=source.value,
            description_question=source.description_question,
        ),
    )


def _person(
    answers: dict[str, Any], nibrs: NibrsProfile
) -> tuple[dict[str, str], dict[str, str | None]]:
    demographics = nibrs.demographics
    age = answers.get(demographics.age) if demographics.age else None
    person = {"age": str(min(int(age), 99)) if isinstance(age, int) and age > 0 else "UNKNOWN"}
    questions: dict[str, str | None] = {"age": demographics.age}
    for name in ("sex", "race", "ethnicity", "resident_status"):
        choice: NibrsChoice | None = getattr(demographics, name)
        answer = answers.get(choice.question) if choice else None
        person[name] = (choice.codes.get(str(answer)) if choice else None) or "U"
        questions[name] = choice.question if choice else None
    return person, questions


def _incident(
    report: Report,
    agency: AgencyProfile,
    nibrs: NibrsProfile,
    mapping: NibrsIncidentType,
    offense: str,
    case_number: str | None,
    now: datetime,
) -> Incident:
    answers: dict[str, Any] = report.answers or {}
    questions = {q.id: q for step in agency.steps for q in step.questions}
    date_question = next(
        (q for q in questions.values() if q.records_field == "incident_date"), None
    )
    time_question = next(
        (q for q in questions.values() if q.records_field == "incident_time"), None
    )
    first, last = date_bounds(answers.get(date_question.id)) if date_question else (None, None)
    hour = None
    time = answers.get(time_question.id) if time_question else None
    if first is not None and first == last and isinstance(time, str) and time[:2].isdigit():
        hour = int(time[:2])
    location, location_question = _location(answers, mapping.location or nibrs.location)
    person, person_questions = (
        _person(answers, nibrs) if mapping.victim == "individual" else ({}, {})
    )
    return Incident(
        ori=nibrs.ori,
        incident_number=incident_number(case_number or report.report_id, agency.short_code),
        offense=offense,
        attempted=mapping.attempted,
        # a range's first day: the earliest the offense can have happened (an unknown start:
        # the report date, flagged as such, as the FBI asks when the date is not known)
        day=first,
        hour=hour,
        date_question=date_question.id if date_question else None,
        report_date=now.astimezone(agency.zone).date(),
        location=location,
        location_question=location_question,
        victim=VICTIM_CODES[mapping.victim],
        properties=_properties(answers, nibrs, mapping),
        person=person,
        person_questions=person_questions,
    )


def to_xml(incident: Incident, *, message_id: str, now: datetime) -> bytes:
    submission = etree.Element(f"{{{NS['nibrs']}}}Submission", nsmap=NS)
    metadata = _element(submission, "cjis:MessageMetadata")
    _element(metadata, "cjis:MessageDateTime", now.replace(tzinfo=None, microsecond=0).isoformat())
    _path(metadata, "cjis:MessageIdentification", "nc:IdentificationID", text=message_id)
    _element(metadata, "cjis:MessageImplementationVersion", IMPLEMENTATION_VERSION)
    _path(
        metadata,
        "cjis:MessageSubmittingOrganization",
        "j:OrganizationAugmentation",
        "j:OrganizationORIIdentification",
        "nc:IdentificationID",
        text=incident.ori,
    )
    report = _element(submission, "nibrs:Report")
    header = _element(report, "nibrs:ReportHeader")
    _element(header, "nibrs:NIBRSReportCategoryCode", "GROUP A INCIDENT REPORT")
    _element(header, "nibrs:ReportActionCategoryCode", "I")
    _path(
        header, "nibrs:ReportDate", "nc:YearMonthDate", text=incident.report_date.strftime("%Y-%m")
    )
    _path(
        header,
        "nibrs:ReportingAgency",
        "j:OrganizationAugmentation",
        "j:OrganizationORIIdentification",
        "nc:IdentificationID",
        text=incident.ori,
    )

    event = _element(report, "nc:Incident")
    _path(event, "nc:ActivityIdentification", "nc:IdentificationID", text=incident.incident_number)
    when = _element(event, "nc:ActivityDate")
    day = incident.day or incident.report_date
    if incident.hour is not None:
        _element(when, "nc:DateTime", f"{day.isoformat()}T{incident.hour:02d}:00:00")
    else:
        _element(when, "nc:Date", day.isoformat())
    _path(
        event,
        "cjis:IncidentAugmentation",
        "cjis:IncidentReportDateIndicator",
        text="true" if incident.day is None else "false",
    )
    # Element 4: not cleared exceptionally (N: not applicable), as a new report is
    _path(event, "j:IncidentAugmentation", "j:IncidentExceptionalClearanceCode", text="N")

    offense = _element(report, "j:Offense", id="Offense1")
    _element(offense, "nibrs:OffenseUCRCode", incident.offense)
    _element(offense, "j:OffenseFactorBiasMotivationCode", "NONE")  # element 8A: none known
    _path(offense, "j:OffenseFactor", "j:OffenseFactorCode", text="N")  # element 8: not applicable
    _element(offense, "j:OffenseAttemptedIndicator", "true" if incident.attempted else "false")

    location = _element(report, "nc:Location", id="Location1")
    _element(location, "nibrs:LocationCategoryCode", incident.location)

    for prop in incident.properties:
        item = _element(report, "nc:Item")
        _path(item, "nc:ItemStatus", "cjis:ItemStatusCode", text=prop.loss)
        if prop.loss == "NONE":
            continue
        if prop.value is not None:
            value = Decimal(0) if prop.description in ZERO_VALUE_DESCRIPTIONS else prop.value
            _path(item, "nc:ItemValue", "nc:ItemValueAmount", "nc:Amount", text=f"{value:f}")
        if prop.description is not None:
            _element(item, "j:ItemCategoryNIBRSPropertyCategoryCode", prop.description)
        _element(item, "nc:ItemQuantity", "1")

    if incident.victim == "I":
        person = _element(report, "nc:Person", id="PersonVictim1")
        age = incident.person["age"]
        _path(
            person,
            "nc:PersonAgeMeasure",
            "nc:MeasureValueText" if not age.isdigit() else "nc:MeasureIntegerValue",
            text=age,
        )
        _element(person, "j:PersonEthnicityCode", incident.person["ethnicity"])
        _element(person, "j:PersonRaceNDExCode", incident.person["race"])
        _element(person, "j:PersonResidentCode", incident.person["resident_status"])
        _element(person, "j:PersonSexCode", incident.person["sex"])
    victim = _element(report, "j:Victim", id="Victim1")
    if incident.victim == "I":
        _element(victim, "nc:RoleOfPerson", ref="PersonVictim1")
    _element(victim, "j:VictimSequenceNumberText", "1")
    _element(victim, "j:VictimCategoryCode", incident.victim)
    # The resident does not know who did it (screening sends a known suspect to an officer):
    # one unknown offender, sequence number 00, with no age, sex or race.
    subject = _element(report, "j:Subject", id="Subject1")
    _element(subject, "j:SubjectSequenceNumberText", "00")

    association = _element(report, "j:OffenseLocationAssociation")
    _element(association, "j:Offense", ref="Offense1")
    _element(association, "nc:Location", ref="Location1")
    association = _element(report, "j:OffenseVictimAssociation")
    _element(association, "j:Offense", ref="Offense1")
    _element(association, "j:Victim", ref="Victim1")
    xml: bytes = etree.tostring(
        submission, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return xml


def build_document(
    report: Report, agency: AgencyProfile, *, case_number: str | None, now: datetime
) -> NibrsDocument:
    nibrs = agency.nibrs
    incident_type = agency.incident_type(report.incident_type)
    if nibrs is None:
        return NibrsDocument(False, None, (), "The agency's profile has no NIBRS section.")
    mapping = nibrs.types.get(report.incident_type)
    if incident_type is None or mapping is None:
        return NibrsDocument(
            False, None, (), f"The profile has no NIBRS mapping for {report.incident_type!r}."
        )
    if not mapping.reportable:
        return NibrsDocument(False, None, (), mapping.reason)
    incident = _incident(
        report, agency, nibrs, mapping, incident_type.offense_code, case_number, now
    )
    xml = to_xml(incident, message_id=incident.incident_number, now=now.astimezone(agency.zone))
    problems = (*schema_problems(xml, incident), *edit_rule_problems(incident))
    return NibrsDocument(True, xml, tuple(dict.fromkeys(problems)))
