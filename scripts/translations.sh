#!/usr/bin/env bash
# Refresh the message catalogs: extract every marked string from chalicelib (Python and
# templates, per babel.cfg) into chalicelib/i18n/messages.pot, merge it into each
# language's messages.po, compile the .mo files the service reads, and report what is
# still untranslated. Run from anywhere; `make translations` calls it.
#
# Output is kept stable for review: the template has no header (so no timestamp), messages
# are sorted, locations name the file but not the line, and lines are not wrapped.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN="${BIN:-.venv/bin}"
PYBABEL="$BIN/pybabel"
CATALOGS=chalicelib/i18n
TEMPLATE="$CATALOGS/messages.pot"
LANGUAGES=(es)  # English is the source language and needs no catalog

"$PYBABEL" --quiet extract -F babel.cfg -o "$TEMPLATE" \
    --omit-header --sort-output --add-location=file --no-wrap \
    --add-comments=Translators: .

for language in "${LANGUAGES[@]}"; do
    if [[ ! -f "$CATALOGS/$language/LC_MESSAGES/messages.po" ]]; then
        "$PYBABEL" --quiet init -i "$TEMPLATE" -d "$CATALOGS" -D messages -l "$language" --no-wrap
    fi
done

"$PYBABEL" --quiet update -i "$TEMPLATE" -d "$CATALOGS" -D messages \
    --no-fuzzy-matching --ignore-pot-creation-date --ignore-obsolete --no-wrap

"$PYBABEL" --quiet compile -d "$CATALOGS" -D messages

"$BIN/python" - "$TEMPLATE" "$CATALOGS" <<'PY'
import sys
from pathlib import Path

from babel.messages.pofile import read_po

template, catalogs = Path(sys.argv[1]), Path(sys.argv[2])
with template.open("rb") as handle:
    total = sum(1 for message in read_po(handle) if message.id)
print(f"{total} messages in {template}")
missing_anywhere = 0
for po in sorted(catalogs.glob("*/LC_MESSAGES/messages.po")):
    with po.open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    missing_anywhere += len(untranslated)
    print(f"{catalog.locale}: {len(untranslated)} untranslated or fuzzy of {total}")
    for message_id in untranslated:
        print(f"    {message_id!r}")
sys.exit(0)
PY
