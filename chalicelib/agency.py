"""The agency profile: one YAML file per agency that configures everything agency-specific.

Run `python -m chalicelib.agency PATH...` to validate profile files.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

PROFILES_DIR = Path(__file__).parent / "agencies"

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
Phone = Annotated[str, StringConstraints(pattern=r"^[0-9+()\-. ]{3,25}$")]
Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
Sentence = Annotated[str, StringConstraints(min_length=1, max_length=400, strip_whitespace=True)]


class AgencyProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RecordsDivision(_Strict):
    address: Sentence
    hours: Sentence
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


class Jurisdiction(_Strict):
    cities: tuple[Label, ...] = Field(min_length=1)
    zip_codes: tuple[Annotated[str, StringConstraints(pattern=r"^\d{5}$")], ...] = ()


class IncidentType(_Strict):
    id: Identifier
    label: Label
    description: Sentence
    offense_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{2,3}[A-Z]?$")]


class AgencyProfile(_Strict):
    id: Identifier
    name: Label
    short_code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}$")]
    timezone: Label
    languages: tuple[Language, ...] = Field(default=("en",), min_length=1)
    contacts: Contacts
    sender: Sender
    branding: Branding
    jurisdiction: Jurisdiction
    review_business_days: int = Field(default=5, ge=1, le=60)
    incident_types: tuple[IncidentType, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _incident_type_ids_are_unique(self) -> AgencyProfile:
        seen: set[str] = set()
        for incident_type in self.incident_types:
            if incident_type.id in seen:
                raise ValueError(f"incident type id {incident_type.id!r} is used twice")
            seen.add(incident_type.id)
        return self

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def public_view(self) -> dict[str, object]:
        """What anyone may read: no internal settings."""
        return self.model_dump(
            mode="json",
            include={"id", "name", "short_code", "languages", "contacts", "branding"},
        ) | {
            "jurisdiction": {"cities": list(self.jurisdiction.cities)},
            "review_business_days": self.review_business_days,
            "incident_types": [
                incident.model_dump(mode="json") for incident in self.incident_types
            ],
        }


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


@cache
def load_profile(name_or_path: str) -> AgencyProfile:
    """A profile by name (a file in `chalicelib/agencies/`) or by path."""
    candidate = Path(name_or_path)
    if candidate.suffix not in {".yaml", ".yml"}:
        candidate = PROFILES_DIR / f"{name_or_path}.yaml"
    return load_profile_file(candidate)


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
        else:
            print(
                f"{argument}: valid ({profile.name}, {len(profile.incident_types)} incident types)"
            )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
