"""Where a report stands in its incident type's steps: derived from the answers alone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..agency import AgencyProfile, IncidentType, Question, Step


def step_is_complete(step: Step, answers: Mapping[str, Any]) -> bool:
    """Every required question answered, every optional one at least seen (answered or null)."""
    return all(
        question.id in answers and (answers[question.id] is not None or not question.required)
        for question in step.questions
    )


@dataclass(frozen=True)
class Progress:
    steps: tuple[Step, ...]
    answers: Mapping[str, Any]

    @property
    def next_step(self) -> Step | None:
        return next((s for s in self.steps if not step_is_complete(s, self.answers)), None)

    @property
    def complete(self) -> bool:
        return self.next_step is None

    def position(self, step_id: str) -> int:
        """1-based position of a step; the check-your-answers page comes after the last."""
        for index, step in enumerate(self.steps, start=1):
            if step.id == step_id:
                return index
        return len(self.steps) + 1

    @property
    def total(self) -> int:
        return len(self.steps) + 1  # the steps, then "check your answers"

    def step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def previous(self, step_id: str) -> Step | None:
        index = self.position(step_id) - 1
        return self.steps[index - 1] if index >= 1 else None

    def may_open(self, step_id: str) -> bool:
        """A step is open once every step before it is complete: no skipping ahead."""
        return (
            self.position(step_id) <= self.position(self.next_step.id) if self.next_step else True
        )

    def missing(self) -> dict[str, str]:
        return {
            question.id: "required"
            for step in self.steps
            for question in step.questions
            if question.required and self.answers.get(question.id) is None
        }

    @property
    def questions(self) -> dict[str, Question]:
        return {question.id: question for step in self.steps for question in step.questions}


def progress(
    profile: AgencyProfile, incident_type: IncidentType, answers: Mapping[str, Any]
) -> Progress:
    return Progress(profile.steps_for(incident_type), answers)
