"""Jinja2 templates for pages and emails: one environment per language, autoescaped for HTML."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from .agency import Text, localise
from .i18n import LANGUAGE_NAMES, translations
from .intake.answers import typed_total
from .moments import agency_date, agency_stamp, local_moment
from .review import words
from .status import ReportStatus

TEMPLATES_DIR = Path(__file__).parent / "templates"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e]")


def plain(value: object) -> str:
    """Text a resident typed, safe to print: control and direction-override characters removed."""
    return _CONTROL_CHARACTERS.sub("", str(value))


def dollars(value: object) -> str:
    return f"${Decimal(str(value)):,.2f}"


# Moments in the agency's zone, with its abbreviation: the page's `agency` names the zone.


@pass_context
def agency_time(context: Context, value: datetime | str | None, seconds: bool = False) -> str:
    """ "2026-12-01 09:05 EST"; nothing for a moment that is not there."""
    return agency_stamp(value, context["agency"].zone, seconds) if value else ""


@pass_context
def agency_day(context: Context, value: datetime | str | None) -> str:
    return agency_date(value, context["agency"].zone) if value else ""


@pass_context
def agency_moment(context: Context, value: datetime | str | None) -> str:
    """ "December 1, 2026, 9:05 a.m. EST", as the copy says it (the print view)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return local_moment(moment, context["agency"].zone, "en")


@cache
def template_environment(language: str = "en") -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        translations(language), newstyle=True
    )
    _ = translations(language).gettext

    def either_of(names: Sequence[str]) -> str:
        """ "Riverton", "Riverton or Lordship", "Riverton, Lordship or Stratford"."""
        names = list(names)
        if len(names) == 1:
            return names[0]
        return _("%(list)s or %(last)s") % {"list": ", ".join(names[:-1]), "last": names[-1]}

    def long_date(value: date | datetime | str, zone: tzinfo | None = None) -> str:
        """A date in words; a moment is shown on the day it was in `zone` (the agency's)."""
        from babel.dates import format_date  # imported on first use: it is large

        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if isinstance(moment, datetime):
            day = (moment.astimezone(zone) if zone and moment.tzinfo else moment).date()
        else:
            day = moment
        return str(format_date(day, format="long", locale=language))

    def text(value: Text) -> str:
        return localise(value, language)

    environment.filters.update(
        plain=plain, either_of=either_of, dollars=dollars, long_date=long_date, localise=text
    )
    # the staff pages' words for codes (English only), and their times in the agency's zone
    environment.filters.update(
        status_words=words.status_words,
        decision_words=words.decision_words,
        action_words=words.action_words,
        outcome_words=words.outcome_words,
        language_name=words.language_name,
        agency_time=agency_time,
        agency_day=agency_day,
        agency_moment=agency_moment,
    )
    environment.globals.update(
        language=language,
        language_names=LANGUAGE_NAMES,
        item_total=typed_total,
        Status=ReportStatus,
    )
    return environment


def render(template: str, language: str = "en", **context: object) -> str:
    return template_environment(language).get_template(template).render(**context)
