from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.errors import InvalidInput
from chalicelib.intake.verification import normalise_email
from chalicelib.tokens import digest, looks_like_token, new_token


def test_tokens_are_long_random_and_url_safe() -> None:
    tokens = {new_token() for _ in range(1000)}

    assert len(tokens) == 1000
    assert all(len(token) >= 43 and looks_like_token(token) for token in tokens)  # >= 256 bits


def test_only_a_digest_is_kept() -> None:
    token = new_token()

    assert digest(token) != token
    assert digest(token) == digest(token)
    assert len(digest(token)) == 64


@pytest.mark.parametrize(
    "address", ["Ana.Lopez@Example.COM", "  ana@example.com ", "o'brien+reports@mail.example.org"]
)
def test_well_formed_addresses_are_accepted(address: str) -> None:
    assert "@" in normalise_email(address)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "   ",
        "ana",
        "ana@",
        "@example.com",
        "ana@example",
        "a b@example.com",
        "x" * 300,
        None,
        42,
    ],
)
def test_malformed_addresses_are_refused_with_a_field_message(address: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        normalise_email(address)

    assert "email" in raised.value.fields


@given(st.one_of(st.text(max_size=400), st.integers(), st.none(), st.lists(st.text())))
def test_any_input_is_either_an_address_or_a_clear_refusal(candidate: object) -> None:
    try:
        result = normalise_email(candidate)
    except InvalidInput as error:
        assert error.fields["email"]
    else:
        assert result.isascii() and "@" in result and len(result) <= 254
