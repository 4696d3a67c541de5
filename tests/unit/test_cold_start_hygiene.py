"""Importing the app reads no configuration, creates no AWS client and loads nothing a request
may not need (docs/architecture.md: configuration and clients are made lazily)."""

from __future__ import annotations

from tests.support.cold_start import cold_import

APP_PROBE = """
import sys
import app
from chalicelib import services
assert services._current is None, "services were built at import"
assert "boto3" not in sys.modules, "boto3 is imported at cold start although pages do not need it"
assert "jwt" not in sys.modules, "staff token checks are imported at cold start"
print("routes:", len(app.app.routes))
"""

QR_CODE_PROBE = """
import sys
import app
assert "segno" not in sys.modules, "the QR code library is imported at cold start"
from chalicelib.routes import staff_pages
assert "segno" not in sys.modules, "importing the staff pages loads the QR code library"
staff_pages.qr_code("otpauth://totp/A:b?secret=ABCDEFGHIJKLMNOP&issuer=A")
assert "segno" in sys.modules
print("lazy")
"""

PHONE_PROBE = """
import sys
from datetime import date
import app
from chalicelib.agency import load_profile
from chalicelib.intake import answers
assert "phonenumbers" not in sys.modules, "the phone number library is imported at cold start"
load_profile("demo")
assert "phonenumbers" not in sys.modules, "loading the profile loads the phone number library"
question = answers.Question(id="phone", kind="phone", label="Phone")
print(answers.validate_answer(question, "203 555 0142", today=date(2026, 1, 1), _=str))
"""


def test_the_app_imports_with_an_empty_environment() -> None:
    result = cold_import(APP_PROBE)

    assert result.returncode == 0, result.stderr
    assert "routes:" in result.stdout


def test_the_qr_code_library_is_loaded_only_to_draw_a_qr_code() -> None:
    result = cold_import(QR_CODE_PROBE)

    assert result.returncode == 0, result.stderr
    assert "lazy" in result.stdout


def test_the_phone_number_library_is_loaded_only_to_check_a_phone_number() -> None:
    result = cold_import(PHONE_PROBE)

    assert result.returncode == 0, result.stderr
    assert "(203) 555-0142" in result.stdout
