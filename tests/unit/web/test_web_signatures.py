"""Event Platform signature verification on the raw body."""

from __future__ import annotations

import hashlib
import hmac

from akeneo_sync.web.signatures import sign, verify_signature

BODY = b'{"specversion":"1.0","id":"e1"}'
PRIMARY, SECONDARY = "primary-secret-0123456789", "secondary-secret-0123456789"


def test_sign_is_the_hex_hmac_sha256_of_the_raw_body() -> None:
    assert sign(BODY, PRIMARY) == hmac.new(PRIMARY.encode(), BODY, hashlib.sha256).hexdigest()


def test_the_primary_header_under_the_primary_secret_verifies() -> None:
    headers = {"x-akeneo-signature-primary": sign(BODY, PRIMARY)}
    assert verify_signature(BODY, headers, [PRIMARY, SECONDARY])


def test_the_secondary_header_alone_verifies_during_rotation() -> None:
    headers = {"x-akeneo-signature-secondary": sign(BODY, SECONDARY)}
    assert verify_signature(BODY, headers, [PRIMARY, SECONDARY])


def test_a_primary_header_signed_with_our_secondary_secret_verifies() -> None:
    headers = {"x-akeneo-signature-primary": sign(BODY, SECONDARY)}
    assert verify_signature(BODY, headers, [PRIMARY, SECONDARY])


def test_uppercase_hex_verifies() -> None:
    headers = {"x-akeneo-signature-primary": sign(BODY, PRIMARY).upper()}
    assert verify_signature(BODY, headers, [PRIMARY])


def test_a_wrong_secret_is_refused() -> None:
    headers = {"x-akeneo-signature-primary": sign(BODY, "someone-else")}
    assert not verify_signature(BODY, headers, [PRIMARY, SECONDARY])


def test_a_missing_signature_is_refused() -> None:
    assert not verify_signature(BODY, {}, [PRIMARY])


def test_a_tampered_body_is_refused() -> None:
    headers = {"x-akeneo-signature-primary": sign(BODY, PRIMARY)}
    assert not verify_signature(BODY.replace(b"e1", b"e2"), headers, [PRIMARY])


def test_a_re_serialised_body_is_refused() -> None:
    headers = {"x-akeneo-signature-primary": sign(BODY, PRIMARY)}
    assert not verify_signature(b'{"specversion": "1.0", "id": "e1"}', headers, [PRIMARY])


def test_no_configured_secret_refuses_everything() -> None:
    headers = {"x-akeneo-signature-primary": sign(BODY, "")}
    assert not verify_signature(BODY, headers, [])
    assert not verify_signature(BODY, headers, [""])


def test_non_ascii_and_oversized_headers_are_refused_without_error() -> None:
    assert not verify_signature(BODY, {"x-akeneo-signature-primary": "é" * 64}, [PRIMARY])
    assert not verify_signature(BODY, {"x-akeneo-signature-primary": sign(BODY, PRIMARY) * 3}, [PRIMARY])
