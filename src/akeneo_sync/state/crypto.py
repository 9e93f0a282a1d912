"""`TokenCipher`: PIM tokens are encrypted at rest with Fernet, under `ENCRYPTION_KEY`."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from akeneo_sync.errors import ConfigError, StateError

__all__ = ["TokenCipher"]


class TokenCipher:
    """Encrypts and decrypts secrets (authenticated, timestamped Fernet tokens)."""

    __slots__ = ("_fernet",)

    def __init__(self, key: str | bytes) -> None:
        raw = key.encode() if isinstance(key, str) else key
        try:
            self._fernet = Fernet(raw)
        except ValueError as exc:
            raise ConfigError("AKENEO_SYNC_ENCRYPTION_KEY must be a Fernet key") from exc

    @classmethod
    def generate(cls) -> TokenCipher:
        """A cipher with a fresh random key (the demo, which keeps nothing across runs)."""
        return cls(Fernet.generate_key())

    def encrypt(self, plaintext: str) -> bytes:
        """The ciphertext of `plaintext`."""
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        """The plaintext; `StateError` if the data was tampered with or the key changed."""
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except InvalidToken as exc:
            # Never echo the ciphertext: a wrong key must not leak what was stored.
            raise StateError("a stored token cannot be decrypted with the configured ENCRYPTION_KEY") from exc
