"""Message catalogs: every string a resident reads, in each language the service speaks.

Catalogs are gettext files (`<language>/LC_MESSAGES/messages.po`, compiled to `.mo` by
`make translations`); the standard library reads them, so Lambda needs no extra package.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from pathlib import Path

CATALOGS_DIR = Path(__file__).parent
DOMAIN = "messages"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
Translate = Callable[[str], str]


@cache
def translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, CATALOGS_DIR, languages=[language], fallback=True)


def translator(language: str) -> Translate:
    return translations(language).gettext
