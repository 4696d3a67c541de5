"""One measured figure, beside its floor, and the table and JSON file they end up in."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Record:
    """A figure: `ratio` is `value / floor` wherever both exist (and the floor is not zero)."""

    name: str
    value: float | None
    unit: str
    floor: float | None = None
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or self.floor is None or self.floor == 0:
            return None
        return round(self.value / self.floor, 3)

    def as_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["ratio"] = self.ratio
        return {key: document[key] for key in ("name", "value", "unit", "floor", "ratio", "notes")}


class HarnessFailure(RuntimeError):
    """A figure broke a rule the harness enforces (a Scan, reads that grow with the table)."""


def number(value: float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e9:
        return f"{int(value)}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.4g}"


def table(records: list[Record], notes_width: int = 70) -> str:
    """The records as a fixed-width text table; long notes are cut (the JSON keeps them whole)."""
    header = ("figure", "value", "unit", "floor", "ratio", "notes")
    rows = [
        (
            record.name,
            number(record.value),
            record.unit,
            number(record.floor),
            number(record.ratio),
            record.notes
            if len(record.notes) <= notes_width
            else record.notes[: notes_width - 1] + "…",
        )
        for record in records
    ]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    aligned = ["<", ">", "<", ">", ">", "<"]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            f"{cell:{align}{width}}"
            for cell, align, width in zip(cells, aligned, widths, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def write_json(records: list[Record], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps([record.as_json() for record in records], indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
