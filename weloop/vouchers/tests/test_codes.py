"""The code format: 75 random bits, a check character catching every single typo and adjacent swap."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given, settings
from hypothesis import strategies as st

from weloop.vouchers import codes

payloads = st.text(alphabet=codes.ALPHABET, min_size=codes.PAYLOAD_LENGTH, max_size=codes.PAYLOAD_LENGTH)


def _code(payload: str) -> str:
    return payload + codes.check_character(payload)


def test_generate_gives_16_characters_of_the_alphabet_that_pass_the_check():
    seen = {codes.generate() for _ in range(200)}
    assert len(seen) == 200
    for code in seen:
        assert len(code) == codes.CODE_LENGTH and set(code) <= set(codes.ALPHABET)
        assert codes.parse(code) == code


def test_the_payload_carries_at_least_75_bits():
    assert codes.PAYLOAD_LENGTH * 5 >= 75 and len(codes.ALPHABET) == 32


@settings(max_examples=300)
@given(payloads)
def test_every_single_substitution_is_refused(payload):
    code = _code(payload)
    assert codes.parse(code) == code
    for i, original in enumerate(code):
        for ch in codes.ALPHABET:
            if ch != original:
                assert codes.parse(code[:i] + ch + code[i + 1 :]) is None, (code, i, ch)


@settings(max_examples=300)
@given(payloads)
def test_every_adjacent_transposition_is_refused(payload):
    code = _code(payload)
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            assert codes.parse(swapped) is None, (code, i)


@given(payloads)
def test_display_form_lower_case_and_crockford_aliases_are_read_back(payload):
    code = _code(payload)
    typed = codes.display(code).lower().replace("1", "l").replace("0", "o")
    assert codes.parse(typed) == code
    assert codes.parse(" " + codes.display(code) + " ") == code


@pytest.mark.parametrize("text", ["", "ABC", "U" * 16, "!" * 16, "0" * 17, None])
def test_parse_refuses_what_cannot_be_a_code(text):
    assert codes.parse(text) is None  # type: ignore[arg-type]


def test_hash_is_keyed_by_the_settings_secret(settings):
    code = codes.generate()
    first = codes.code_hash(code)
    assert first == codes.code_hash(code) and code not in first and len(first) == 64
    settings.WELOOP_VOUCHER_KEY = "another-secret"
    assert codes.code_hash(code) != first


def test_sealed_code_opens_only_for_its_own_voucher():
    code = codes.generate()
    sealed = codes.seal(code, voucher_id="vc_AAAA")
    assert code not in sealed
    assert codes.unseal(sealed, voucher_id="vc_AAAA") == code
    with pytest.raises(InvalidTag):
        codes.unseal(sealed, voucher_id="vc_BBBB")
