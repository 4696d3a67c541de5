from __future__ import annotations

import pytest

from chalicelib.settings import Settings, SettingsError

REQUIRED = {
    "STAGE": "riverton",
    "AGENCY_PROFILE": "demo",
    "RESOURCE_PREFIX": "selfreport-riverton",
    "BASE_URL": "https://report.police.riverton.example",
}


def test_settings_come_from_the_stage_environment() -> None:
    settings = Settings.from_env({**REQUIRED, "AWS_REGION": "eu-west-1", "UNRELATED": "x"})

    assert settings.region == "eu-west-1"
    assert settings.verification_ttl.total_seconds() == 900
    assert not settings.is_local
    assert settings.cookies_need_tls
    assert settings.bucket_name == "selfreport-riverton-reports"
    assert (
        settings.url("/verify?token=t") == "https://report.police.riverton.example/verify?token=t"
    )


def test_a_missing_or_malformed_variable_is_named() -> None:
    environment = {**REQUIRED, "VERIFICATION_TTL_SECONDS": "soon"}
    del environment["BASE_URL"]

    with pytest.raises(SettingsError) as raised:
        Settings.from_env(environment)

    assert "BASE_URL" in str(raised.value)
    assert "VERIFICATION_TTL_SECONDS" in str(raised.value)


def test_links_keep_the_api_gateway_stage_path() -> None:
    settings = Settings.from_env({**REQUIRED, "BASE_URL": "https://abc.execute-api.example/api/"})

    assert settings.base_path == "/api"
    assert settings.url("/start") == "https://abc.execute-api.example/api/start"


@pytest.mark.parametrize(
    ("base_url", "secure"),
    [
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8000", False),
        ("http://report.example", True),
        ("https://report.example", True),
    ],
)
def test_cookies_are_secure_except_on_plain_http_localhost(base_url: str, secure: bool) -> None:
    assert Settings.from_env({**REQUIRED, "BASE_URL": base_url}).cookies_need_tls is secure
