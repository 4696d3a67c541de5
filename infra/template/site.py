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


def site_origin(profile: AgencyProfile) -> Any:
    """The site's origin, as browsers send it: the scheme and host without the stage's path.

    Without a custom domain the bucket cannot name the API's own host: the API's functions
    already depend on the bucket, so a `Ref` back would be a circular dependency. S3 takes one
    wildcard, so the origin is any API Gateway host of the region; what may be stored is still
    limited by each form's signed policy, never by CORS."""
    if profile.deployment.domain:
        return f"https://{profile.deployment.domain.name}"
    return sub("https://*.execute-api.${AWS::Region}.${AWS::URLSuffix}")
