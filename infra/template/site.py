"""The residents' site's address: the API stage's own, or the agency's domain mapped onto it."""

from __future__ import annotations

from typing import Any

from chalicelib.agency import AgencyProfile

from .common import API_STAGE, Template, sub


def site_url_text(profile: AgencyProfile) -> str:
    """The residents' site, in Fn::Sub's syntax."""
    if profile.deployment.domain:
        return f"https://{profile.deployment.domain.name}"
    return f"https://${{RestAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{API_STAGE}"


def site_url(profile: AgencyProfile) -> Any:
    text = site_url_text(profile)
    return sub(text) if "${" in text else text


def custom_domain(profile: AgencyProfile) -> Template:
    if not profile.deployment.domain:
        return {}
    # Chalice maps the domain to the stage by name; the stage must exist first.
    return {"ApiGatewayCustomDomainMapping": {"DependsOn": "RestAPIapiStage"}}
