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
    attachments_at: int | None = None
    """The "Photos or documents" page comes before `steps[attachments_at]` (after the last
    when it equals their count); None: not offered. It asks nothing, so it never holds the
    report back: the step before it leads to it, and its "Continue" leads on."""

    @property
    def next_step(self) -> Step | None:
        return next((s for s in self.steps if not step_is_complete(s, self.answers)), None)

    @property
    def complete(self) -> bool:
        return self.next_step is None

    def position(self, step_id: str) -> int:
        """1-based position of a step; the check-your-answers page comes after the last."""
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                after_attachments = self.attachments_at is not None and index >= self.attachments_at
                return index + 1 + after_attachments
        return self.total

    @property
    def attachments_position(self) -> int | None:
        return None if self.attachments_at is None else self.attachments_at + 1

    @property
    def total(self) -> int:
        # the steps, the attachments page when offered, then "check your answers"
        return len(self.steps) + (self.attachments_at is not None) + 1

    def before_attachments(self) -> Step | None:
        """The step whose "Continue" leads to the attachments page."""
        if not self.attachments_at:
            return None
        return self.steps[self.attachments_at - 1]

    def after_attachments(self) -> Step | None:
        """The step the attachments page's "Continue" leads to (None: check your answers)."""
        if self.attachments_at is None or self.attachments_at >= len(self.steps):
            return None
        return self.steps[self.attachments_at]

    def step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def previous(self, step_id: str) -> Step | None:
        index = next((i for i, step in enumerate(self.steps) if step.id == step_id), None)
        index = len(self.steps) if index is None else index
        return self.steps[index - 1] if index >= 1 else None

    def may_open(self, step_id: str) -> bool:
        """A step is open once every step before it is complete: no skipping ahead."""
        return (
            self.position(step_id) <= self.position(self.next_step.id) if self.next_step else True
        )

    def may_open_attachments(self) -> bool:
        """Open once every step before it is complete."""
        if self.attachments_at is None:
            return False
        return all(step_is_complete(s, self.answers) for s in self.steps[: self.attachments_at])

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
    return Progress(
        profile.steps_for(incident_type), answers, profile.attachments_at(incident_type)
    )
