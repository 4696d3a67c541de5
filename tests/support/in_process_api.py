"""A resident's JSON API calls through Chalice's in-process test client, on a moto deployment:
a signed-in resident, a complete theft report answered step by step."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from chalice.test import Client

from chalicelib import services
from tests.support.answers import theft_answers
from tests.support.deployment import START, Deployment

JSON = {"Content-Type": "application/json"}


@dataclass
class InProcessApi:
    deployment: Deployment
    client: Client

    @property
    def services(self) -> services.Services:
        return self.deployment.services

    def request(self, method: str, path: str, headers: dict[str, str], body: object = None) -> Any:
        payload = None if body is None else json.dumps(body)
        return getattr(self.client.http, method.lower())(
            path, body=payload, headers={**JSON, **headers}
        )

    def resident(self, address: str) -> dict[str, str]:
        """The session headers of a resident who proved `address` by its emailed link."""
        sent = self.request("POST", "/api/verifications", {}, {"email": address})
        assert sent.status_code == 202, sent.body
        link = [m for m in self.deployment.outbox.as_json() if m["to"] == address][-1]
        token = re.findall(r"token=([\w-]+)", link["text"])[0]
        opened = self.request("POST", "/api/sessions", {}, {"token": token})
        assert opened.status_code == 201, opened.body
        return {"Authorization": f"Bearer {opened.json_body['session']}"}

    def answered_theft(self, resident: dict[str, str]) -> str:
        """A theft report with every step answered through the API, not yet submitted."""
        created = self.request("POST", "/api/reports", resident, {"incident_type": "theft"})
        assert created.status_code == 201, created.body
        report_id = str(created.json_body["id"])
        answers = theft_answers(START.date())
        for step in created.json_body["steps"]:
            body = {"answers": {question: answers[question] for question in step["questions"]}}
            saved = self.request("PATCH", f"/api/reports/{report_id}", resident, body)
            assert saved.status_code == 200, saved.body
        return report_id
