"""`TokenCipher`: Fernet round trips, wrong keys and bad key formats."""

from __future__ import annotations

import pytest

from akeneo_sync.errors import ConfigError, StateError
from akeneo_sync.state import StoredToken, TokenCipher


def test_a_token_round_trips_and_the_ciphertext_does_not_contain_it() -> None:
    cipher = TokenCipher.generate()
    ciphertext = cipher.encrypt("s3cret-token")

    assert b"s3cret-token" not in ciphertext
    assert cipher.decrypt(ciphertext) == "s3cret-token"


def test_another_key_cannot_decrypt() -> None:
    with pytest.raises(StateError, match="ENCRYPTION_KEY"):
        TokenCipher.generate().decrypt(TokenCipher.generate().encrypt("x"))


def test_a_key_that_is_not_a_fernet_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="AKENEO_SYNC_ENCRYPTION_KEY"):
        TokenCipher("not-a-key")


def test_stored_tokens_never_show_their_secrets_in_repr() -> None:
    token = StoredToken("access-secret", refresh_token="refresh-secret", expires_at=5.0)

    assert "secret" not in repr(token)
