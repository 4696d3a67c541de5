"""Jinja2 templates for pages and emails, autoescaped wherever the output is HTML."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES_DIR = Path(__file__).parent / "templates"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e]")


def plain(value: object) -> str:
    """Text a resident typed, safe to print: control and direction-override characters removed."""
    return _CONTROL_CHARACTERS.sub("", str(value))


def either_of(names: Sequence[str]) -> str:
    """ "Riverton", "Riverton or Lordship", "Riverton, Lordship or Stratford"."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


@cache
def template_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    environment.filters["plain"] = plain
    environment.filters["either_of"] = either_of
    return environment


def render(template: str, **context: object) -> str:
    return template_environment().get_template(template).render(**context)
