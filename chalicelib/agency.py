"""The agency profile: one YAML file per agency that configures everything agency-specific.

Run `python -m chalicelib.agency PATH...` to validate profile files.
"""

from __future__ import annotations

import sys
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

PROFILES_DIR = Path(__file__).parent / "agencies"

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
Phone = Annotated[str, StringConstraints(pattern=r"^[0-9+()\-. ]{3,25}$")]
Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
Sentence = Annotated[str, StringConstraints(min_length=1, max_length=400, strip_whitespace=True)]


Text = Sentence | dict[Language, Annotated[str, StringConstraints(min_length=1, max_length=600)]]
"""A text residents read: one string for every language, or one per language of the profile."""

QuestionKind = Literal[
    "choice",
    "yes_no",
    "date",
    "date_range",
    "time",
    "text",
    "number",
    "money",
    "address",
    "items",
    "phone",
]
AUTOCOMPLETE = r"^[a-z0-9 -]{2,40}$"
RecordsField = Literal[
    "incident_date",
    "incident_time",
    "location",
    "narrative",
    "reporter_name",
    "reporter_phone",
    "reporter_address",
]


def localise(text: Text, language: str) -> str:
    if isinstance(text, str):
        return text
    return text.get(language) or next(iter(text.values()))


class AgencyProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RecordsDivision(_Strict):
    address: Sentence
    hours: Text
    phone: Phone | None = None


class Contacts(_Strict):
    emergency: Phone = "911"
    non_emergency: Phone
    records: RecordsDivision
    website: Annotated[str, StringConstraints(pattern=r"^https://\S+$")] | None = None


class Sender(_Strict):
    address: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
    name: Label


class Branding(_Strict):
    primary_colour: Colour = "#1d4f91"
    logo_text: Label


ZipCode = Annotated[str, StringConstraints(pattern=r"^\d{5}$")]
Place = Literal["inside", "outside", "other_city", "other_zip"]
"""Where an address is: in the area; outside it (neither its city nor its ZIP code is ours); or
ours by one and not by the other: its ZIP code is ours and the city is not one of that ZIP
code's (`other_city`), or its city is ours and the ZIP code is not one of that city's
(`other_zip`)."""


def _place_name(name: str) -> str:
    return " ".join(name.split()).casefold()


class Jurisdiction(_Strict):
    """The area the agency serves: each ZIP code, and the city or cities that share it.

    `zip_codes: {"06600": [Riverton], "06615": [Lordship, Riverton]}`. `cities` lists the city
    names in the order residents read them; it defaults to those of the ZIP codes. A profile
    with no ZIP codes serves its `cities`, by name alone. An older profile's list of ZIP codes
    (`zip_codes: ["06600", ...]` beside `cities`) is read as every ZIP code serving every city.
    """

    cities: tuple[Label, ...] = Field(min_length=1)
    zip_codes: dict[ZipCode, tuple[Label, ...]] = {}

    @model_validator(mode="before")
    @classmethod
    def _read_older_profiles(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        zips = data.get("zip_codes")
        if isinstance(zips, list | tuple):
            data["zip_codes"] = {code: tuple(data.get("cities") or ()) for code in zips}
        zips = data.get("zip_codes")
        if isinstance(zips, dict):
            for code in zips:
                if not isinstance(code, str):
                    raise ValueError(
                        f'ZIP code {code!r} must be quoted, like "06600": '
                        "YAML reads unquoted digits as a number"
                    )
            if "cities" not in data:
                names: dict[str, None] = {}
                for cities in zips.values():
                    names.update(dict.fromkeys(cities if isinstance(cities, list | tuple) else ()))
                data["cities"] = tuple(names)
        return data

    @model_validator(mode="after")
    def _every_zip_code_names_cities_we_serve(self) -> Jurisdiction:
        ours = {_place_name(city) for city in self.cities}
        for code, cities in self.zip_codes.items():
            if not cities:
                raise ValueError(f"ZIP code {code} names no city")
            unknown = [city for city in cities if _place_name(city) not in ours]
            if unknown:
                raise ValueError(
                    f"ZIP code {code} names {', '.join(unknown)}, which is not in `cities`"
                )
        if self.zip_codes:
            served = {_place_name(city) for cities in self.zip_codes.values() for city in cities}
            without = [city for city in self.cities if _place_name(city) not in served]
            if without:
                raise ValueError(
                    f"{', '.join(without)} has no ZIP code: no address there could be ours"
                )
        return self

    def place(self, city: str, zip_code: str) -> Place:
        """Where an address with this city and ZIP code (ZIP+4 allowed) is."""
        city_name, code = _place_name(city), zip_code.strip()[:5]
        our_city = city_name in {_place_name(name) for name in self.cities}
        if not self.zip_codes:
            return "inside" if our_city else "outside"
        cities = self.zip_codes.get(code)
        if cities is None:
            return "other_zip" if our_city else "outside"
        if city_name in {_place_name(name) for name in cities}:
            return "inside"
        return "other_city"

    def zip_codes_of(self, city: str) -> tuple[str, ...]:
        name = _place_name(city)
        return tuple(
            code
            for code, cities in self.zip_codes.items()
            if name in {_place_name(c) for c in cities}
        )


class Option(_Strict):
    value: Identifier
    label: Text


class ErrorTexts(_Strict):
    """How error messages name a question, as GOV.UK's do ("Select yes if anyone was hurt").

    `missing`: the whole message when a required answer is not given ("Enter your full name").
    `subject`: how every other message about the answer begins ("Your full name", as in "Your
    full name must be 100 characters or fewer"). Either may be left out: the messages then quote
    the question's label.
    """

    missing: Text | None = None
    subject: Text | None = None


class Question(_Strict):
    id: Identifier
    kind: QuestionKind
    label: Text
    hint: Text | None = None
    required: bool = True
    options: tuple[Option, ...] = ()
    max_length: int = Field(default=500, ge=1, le=5000)
    multiline: bool = False
    minimum: int | None = None
    maximum: int | None = None
    max_items: int = Field(default=20, ge=1, le=50)
    autocomplete: Annotated[str, StringConstraints(pattern=AUTOCOMPLETE)] | None = None
    records_field: RecordsField | None = None
    """Where the answer goes in the records-system export, beyond the list of all answers."""
    error: ErrorTexts | None = None
    date_question: Identifier | None = None
    """For a `time`: the date question it is the time of; a time later today is refused."""

    @model_validator(mode="after")
    def _options_only_for_choices(self) -> Question:
        if self.kind == "choice" and len(self.options) < 2:
            raise ValueError("a choice question needs at least two options")
        if self.kind != "choice" and self.options:
            raise ValueError(f"options are only for choice questions, not {self.kind}")
        values = [option.value for option in self.options]
        if len(values) != len(set(values)):
            raise ValueError("option values must be unique")
        if self.date_question is not None and self.kind != "time":
            raise ValueError(f"date_question is only for time questions, not {self.kind}")
        return self


class Step(_Strict):
    id: Identifier
    title: Text
    hint: Text | None = None
    questions: tuple[Question, ...] = Field(min_length=1)


ATTACHMENTS_STEP = "attachments"
"""The reserved step id of the "Photos or documents" page: named in `flow.before`, `flow.after`
or a type's `steps` to place it, never defined in `steps` (it asks no questions)."""


class Flow(_Strict):
    """Steps every incident type asks, before and after its own; `attachments` places the
    optional "Photos or documents" page."""

    before: tuple[Identifier, ...] = ()
    after: tuple[Identifier, ...] = ()


Contact = Literal["emergency", "non_emergency", "another_agency"]
"""Whom a screened-out resident should call: 911 now; our non-emergency line, where an officer
takes the report; or another agency (the police where it happened), our non-emergency line
telling them which if they do not know."""


class ScreeningRule(_Strict):
    """When `operator` holds for the answers to `questions`, the police must take the report.

    `reason` says why; the instructions (whom to call, and what happens then) follow from
    `contact`, or are the rule's own `instructions`, which must agree with its `contact`."""

    id: Identifier
    questions: tuple[Identifier, ...] = Field(min_length=1)
    operator: Literal["is", "in", "older_than_days", "sum_above", "outside_jurisdiction"]
    value: bool | int | Identifier | tuple[Identifier, ...] | None = None
    reason: Text
    contact: Contact
    instructions: Text | None = None

    @model_validator(mode="after")
    def _value_fits_operator(self) -> ScreeningRule:
        expected: dict[str, type | tuple[type, ...]] = {
            "is": (bool, str),
            "in": tuple,
            "older_than_days": int,
            "sum_above": int,
            "outside_jurisdiction": type(None),
        }
        if not isinstance(self.value, expected[self.operator]) or (
            self.operator in {"older_than_days", "sum_above"} and isinstance(self.value, bool)
        ):
            raise ValueError(f"operator {self.operator!r} does not take the value {self.value!r}")
        return self


ReadyTextKind = Literal["reject", "request_info"]


class ReadyText(_Strict):
    """A rejection reason or a question for the resident, ready to send: its title is for
    staff (whose pages are in English), its text in every language of the profile, so the
    resident reads it in theirs whatever the clerk's."""

    id: Identifier
    kind: ReadyTextKind
    title: Label
    text: dict[
        Language,
        Annotated[str, StringConstraints(min_length=1, max_length=1000, strip_whitespace=True)],
    ] = Field(min_length=1)


class Review(_Strict):
    """How staff review reports: the promised time, the calendar, the case numbers, the
    ready-made texts."""

    business_days: int = Field(default=5, ge=1, le=60)
    holiday_country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "US"
    holiday_subdivision: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,3}$")] | None = None
    extra_holidays: tuple[date, ...] = ()
    case_number_format: Annotated[str, StringConstraints(max_length=60)] = (
        "{short_code}-{year}-{number:06d}"
    )
    info_request_days: int = Field(default=14, ge=1, le=90)
    staff_email: (
        Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")] | None
    ) = None
    ready_texts: tuple[ReadyText, ...] = ()

    def ready_text(self, text_id: str) -> ReadyText | None:
        return next((text for text in self.ready_texts if text.id == text_id), None)

    @model_validator(mode="after")
    def _case_number_format_works(self) -> Review:
        try:
            example = self.case_number_format.format(short_code="ABC", year=2026, number=1)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                "case_number_format may use {short_code}, {year} and {number} only"
            ) from error
        if example == self.case_number_format.format(short_code="ABC", year=2026, number=2):
            raise ValueError("case_number_format must contain {number}")
        if example == self.case_number_format.format(short_code="ABC", year=2027, number=1):
            raise ValueError("case_number_format must contain {year}: numbering restarts each year")
        return self


class Retention(_Strict):
    draft_days: int = Field(default=30, ge=1, le=365)
    screened_out_days: int = Field(default=30, ge=1, le=3650)
    rejected_days: int = Field(default=365, ge=1, le=3650)


class Limits(_Strict):
    """What one resident, and one staff sign-in name, may do before the service says no."""

    open_drafts_per_resident: int = Field(default=10, ge=1, le=100)
    submissions_per_resident_per_day: int = Field(default=5, ge=1, le=100)
    staff_sign_in_failures: int = Field(default=5, ge=3, le=10)
    """Consecutive wrong passwords or codes for one username (CJIS 5.5.3 allows 5)."""
    staff_lockout_minutes: int = Field(default=15, ge=15, le=30)
    staff_idle_minutes: int = Field(default=30, ge=5, le=30)
    """A staff session locks after this long without a request (CJIS 5.5.5: 30 at most)."""


ATTACHMENT_TYPES = (
    "image/jpeg",
    "image/png",
    "image/heic",
    "image/heif",
    "image/webp",
    "application/pdf",
)
"""The types the service can check from their bytes (chalicelib/attachments/inspection.py)."""


class Attachments(_Strict):
    """Photos and documents a resident may attach to a report, and how many and how large."""

    max_files: int = Field(default=10, ge=1, le=50)
    max_megabytes: int = Field(default=20, ge=1, le=100)
    accepted_types: tuple[str, ...] = Field(default=ATTACHMENT_TYPES, min_length=1)
    incident_types: tuple[Identifier, ...] | None = None
    """The incident types whose residents are offered the step; None: every type."""
    malware_scan: bool = False
    """GuardDuty Malware Protection scans each upload in quarantine (the stack adds its plan,
    billed per GB scanned); a file is checked only once GuardDuty has tagged it clean."""

    @field_validator("accepted_types")
    @classmethod
    def _types_the_service_checks(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [t for t in types if t not in ATTACHMENT_TYPES]
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)} cannot be accepted: "
                f"choose from {', '.join(ATTACHMENT_TYPES)}"
            )
        _unique("accepted type", list(types))
        return types

    @property
    def max_bytes(self) -> int:
        return self.max_megabytes * 1024 * 1024


LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
EmailAddress = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]


class CustomDomain(_Strict):
    """The site's own name: a DNS name the agency controls and an ACM certificate for it."""

    name: Annotated[
        str,
        StringConstraints(
            max_length=253,
            pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        ),
    ]
    certificate_arn: Annotated[
        str,
        StringConstraints(
            pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$"
        ),
    ]


class Deployment(_Strict):
    """Where and how the agency's stack runs in AWS: read by the deploy command, not at run time."""

    region: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")] = "us-east-1"
    domain: CustomDomain | None = None
    alarm_email: EmailAddress | None = None
    log_retention_days: int = 90
    manage_sender_identity: bool = True
    api_rate_limit: int = Field(default=50, ge=1, le=10_000)

    @field_validator("log_retention_days")
    @classmethod
    def _retention_cloudwatch_offers(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
        return days


class IncidentType(_Strict):
    id: Identifier
    label: Text
    description: Text
    offense_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{2,3}[A-Z]?$")]
    steps: tuple[Identifier, ...] = ()


class NibrsProfile(_Strict):
    """The agency's NIBRS submissions (docs/nibrs.md): its ORI and how answers map to data
    elements. Left out of a profile, no NIBRS document is made."""

    ori: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{9}$")]
    """The agency's Originating Agency Identifier (9 characters, e.g. CT0060000)."""
    approve_invalid: bool = False
    """May a report whose NIBRS document is not valid still be approved?"""


SCREENING_KINDS: dict[str, frozenset[str]] = {
    "is": frozenset({"yes_no", "choice"}),
    "in": frozenset({"choice"}),
    "older_than_days": frozenset({"date", "date_range"}),
    "sum_above": frozenset({"money", "items", "number"}),
    "outside_jurisdiction": frozenset({"address"}),
}


class AgencyProfile(_Strict):
    id: Identifier
    name: Label
    short_code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}$")]
    timezone: Label
    languages: tuple[Language, ...] = Field(default=("en",), min_length=1)
    contacts: Contacts
    phone_region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "US"
    """Where a phone number without a country code is from (ISO 3166 code)."""
    sender: Sender
    branding: Branding
    jurisdiction: Jurisdiction
    review: Review = Review()
    retention: Retention = Retention()
    limits: Limits = Limits()
    attachments: Attachments = Attachments()
    deployment: Deployment = Deployment()
    steps: tuple[Step, ...] = Field(min_length=1)
    flow: Flow = Flow()
    incident_types: tuple[IncidentType, ...] = Field(min_length=1)
    screening: tuple[ScreeningRule, ...] = ()
    nibrs: NibrsProfile | None = None

    @model_validator(mode="after")
    def _references_resolve(self) -> AgencyProfile:
        _unique("incident type id", [incident.id for incident in self.incident_types])
        _unique("step id", [step.id for step in self.steps])
        _unique("question id", [q.id for step in self.steps for q in step.questions])
        _unique("screening rule id", [rule.id for rule in self.screening])
        _unique("ready text id", [text.id for text in self.review.ready_texts])
        steps = {step.id for step in self.steps}
        if ATTACHMENTS_STEP in steps:
            raise ValueError(
                f"step id {ATTACHMENTS_STEP!r} is reserved for the photos and documents page: "
                "name it in flow.before, flow.after or a type's steps without defining it"
            )
        for where, step_ids in [
            ("flow.before", self.flow.before),
            ("flow.after", self.flow.after),
            *((f"incident type {t.id!r}", t.steps) for t in self.incident_types),
        ]:
            for step_id in step_ids:
                if step_id != ATTACHMENTS_STEP and step_id not in steps:
                    raise ValueError(f"{where} names step {step_id!r}, which is not defined")
        for incident in self.incident_types:
            order = self._order(incident)
            if order.count(ATTACHMENTS_STEP) > 1:
                raise ValueError(
                    f"incident type {incident.id!r}: the {ATTACHMENTS_STEP!r} step is placed "
                    "more than once (flow.before, its steps and flow.after together)"
                )
            if order[:1] == (ATTACHMENTS_STEP,):
                raise ValueError(
                    f"incident type {incident.id!r}: the {ATTACHMENTS_STEP!r} step must come "
                    "after at least one step with questions"
                )
        for type_id in self.attachments.incident_types or ():
            if self.incident_type(type_id) is None:
                raise ValueError(f"attachments.incident_types names unknown type {type_id!r}")
        questions = {q.id: q for step in self.steps for q in step.questions}
        for rule in self.screening:
            for question_id in rule.questions:
                question = questions.get(question_id)
                if question is None:
                    raise ValueError(
                        f"screening rule {rule.id!r} names unknown question {question_id!r}"
                    )
                if question.kind not in SCREENING_KINDS[rule.operator]:
                    raise ValueError(
                        f"screening rule {rule.id!r}: {rule.operator!r} does not apply to "
                        f"the {question.kind} question {question_id!r}"
                    )
        for question in questions.values():
            if question.date_question is not None:
                paired = questions.get(question.date_question)
                if paired is None or not paired.kind.startswith("date"):
                    raise ValueError(
                        f"question {question.id!r}: date_question {question.date_question!r} "
                        "is not a date question"
                    )
        for step in self.steps:
            _distinct_error_texts(step, self.languages)
        _every_text_in_every_language(self, self.languages, "profile")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone {self.timezone!r} is not an IANA time zone") from None
        return self

    @property
    def review_business_days(self) -> int:
        return self.review.business_days

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def incident_type(self, incident_type_id: str) -> IncidentType | None:
        return next((t for t in self.incident_types if t.id == incident_type_id), None)

    def _order(self, incident_type: IncidentType) -> tuple[str, ...]:
        return (*self.flow.before, *incident_type.steps, *self.flow.after)

    def steps_for(self, incident_type: IncidentType) -> tuple[Step, ...]:
        """The steps with questions, in order (the attachments page is not one of them)."""
        by_id = {step.id: step for step in self.steps}
        return tuple(
            by_id[step_id] for step_id in self._order(incident_type) if step_id != ATTACHMENTS_STEP
        )

    def attachments_at(self, incident_type: IncidentType) -> int | None:
        """Where the attachments page sits among `steps_for(incident_type)`: the index of the
        step it comes before (their count when it comes last), or None when the type's
        residents are not offered it."""
        allowed = self.attachments.incident_types
        order = self._order(incident_type)
        if ATTACHMENTS_STEP not in order or (
            allowed is not None and incident_type.id not in allowed
        ):
            return None
        return order.index(ATTACHMENTS_STEP)

    def public_view(self, language: str | None = None) -> dict[str, object]:
        """What anyone may read, in one language: no internal settings."""
        lang = language if language in self.languages else self.default_language

        def step_view(step: Step) -> dict[str, object]:
            return {
                "id": step.id,
                "title": localise(step.title, lang),
                "hint": localise(step.hint, lang) if step.hint else None,
                "questions": [question_view(q) for q in step.questions],
            }

        def question_view(question: Question) -> dict[str, object]:
            view: dict[str, object] = {
                "id": question.id,
                "kind": question.kind,
                "label": localise(question.label, lang),
                "hint": localise(question.hint, lang) if question.hint else None,
                "required": question.required,
            }
            if question.options:
                view["options"] = [
                    {"value": o.value, "label": localise(o.label, lang)} for o in question.options
                ]
            if question.kind == "text":
                view["max_length"] = question.max_length
            if question.kind == "items":
                view["max_items"] = question.max_items
            return view

        return {
            "id": self.id,
            "name": self.name,
            "short_code": self.short_code,
            "language": lang,
            "languages": list(self.languages),
            "contacts": {
                "emergency": self.contacts.emergency,
                "non_emergency": self.contacts.non_emergency,
                "website": self.contacts.website,
                "records": {
                    "address": self.contacts.records.address,
                    "hours": localise(self.contacts.records.hours, lang),
                    "phone": self.contacts.records.phone,
                },
            },
            "branding": self.branding.model_dump(mode="json"),
            "jurisdiction": {"cities": list(self.jurisdiction.cities)},
            "review_business_days": self.review_business_days,
            "incident_types": [
                {
                    "id": t.id,
                    "label": localise(t.label, lang),
                    "description": localise(t.description, lang),
                    "offense_code": t.offense_code,
                    "steps": [step_view(step) for step in self.steps_for(t)],
                }
                for t in self.incident_types
            ],
        }


def _unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is used twice")
        seen.add(value)


def _distinct_error_texts(step: Step, languages: tuple[str, ...]) -> None:
    """Two questions of one page must never share an error message: the error summary would
    show the same words twice, naming neither (GOV.UK: each message names its question)."""
    for language in languages:
        seen: dict[tuple[str, str], str] = {}
        for question in step.questions:
            texts = question.error or ErrorTexts()
            for part in ("missing", "subject"):
                text = getattr(texts, part)
                wording = localise(text, language) if text else localise(question.label, language)
                key = (part, " ".join(wording.split()).casefold())
                if key in seen:
                    raise ValueError(
                        f"step {step.id!r}: questions {seen[key]!r} and {question.id!r} would "
                        f"have the same error message ({part}) in {language}: give each its own "
                        "`error` texts"
                    )
                seen[key] = question.id


def _every_text_in_every_language(node: object, languages: tuple[str, ...], where: str) -> None:
    if isinstance(node, Jurisdiction):
        return  # place names, not texts in a language
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            _every_text_in_every_language(getattr(node, name), languages, f"{where}.{name}")
    elif isinstance(node, tuple):
        for index, item in enumerate(node):
            label = getattr(item, "id", index)
            _every_text_in_every_language(item, languages, f"{where}[{label}]")
    elif isinstance(node, dict):
        missing = [language for language in languages if language not in node]
        if missing:
            raise ValueError(f"{where} has no text in {', '.join(missing)}")


def load_profile_file(path: Path) -> AgencyProfile:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise AgencyProfileError(f"{path}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise AgencyProfileError(f"{path}: is not valid YAML ({error})") from None
    try:
        return AgencyProfile.model_validate(document)
    except ValidationError as error:
        problems = "\n".join(
            f"{path}: {'.'.join(str(part) for part in issue['loc']) or '(top level)'}: "
            f"{issue['msg']}"
            for issue in error.errors()
        )
        raise AgencyProfileError(problems) from None


def profile_path(name_or_path: str) -> Path:
    """A profile's file: a name in `chalicelib/agencies/`, or a path."""
    candidate = Path(name_or_path)
    if candidate.suffix not in {".yaml", ".yml"}:
        candidate = PROFILES_DIR / f"{name_or_path}.yaml"
    return candidate


@cache
def load_profile(name_or_path: str) -> AgencyProfile:
    """A profile by name (a file in `chalicelib/agencies/`) or by path."""
    return load_profile_file(profile_path(name_or_path))


def deployment_problems(profile: AgencyProfile, path: Path) -> list[str]:
    """What a valid profile still gets wrong for a deployment; slower checks than the schema's."""
    problems = []
    if path.stem != profile.id:
        problems.append(
            f"{path}: a deployment loads its profile by id: name the file {profile.id}.yaml"
        )
    import holidays  # the country tables are large: only these checks and the calendar need them

    try:
        holidays.country_holidays(
            profile.review.holiday_country, subdiv=profile.review.holiday_subdivision
        )
    except NotImplementedError as error:
        problems.append(f"{path}: review.holiday_country / holiday_subdivision: {error}")
    import phonenumbers  # its metadata is large: only these checks and a phone answer need it

    if profile.phone_region not in phonenumbers.SUPPORTED_REGIONS:
        problems.append(f"{path}: phone_region: {profile.phone_region} is not a phone region")
    return problems


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m chalicelib.agency PROFILE.yaml [...]", file=sys.stderr)
        return 2
    failures = 0
    for argument in argv:
        try:
            profile = load_profile_file(Path(argument))
        except AgencyProfileError as error:
            failures += 1
            print(error, file=sys.stderr)
            continue
        problems = deployment_problems(profile, Path(argument))
        if problems:
            failures += 1
            print("\n".join(problems), file=sys.stderr)
        else:
            print(
                f"{argument}: valid ({profile.name}, {len(profile.incident_types)} incident types)"
            )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
