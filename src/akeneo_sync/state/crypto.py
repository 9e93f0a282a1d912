"""`TokenCipher`: PIM tokens are encrypted at rest with Fernet, under `ENCRYPTION_KEY`.

`ENCRYPTION_KEY` may list several keys, comma-separated, newest first: the first encrypts, every
one decrypts (`MultiFernet`). To rotate, put a new key in front, roll the pods, run
`akeneo-sync tenants rotate-key` (re-encrypts every stored token under the first key), then drop
the old key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from akeneo_sync.errors import ConfigError, StateError

__all__ = ["TokenCipher"]


class TokenCipher:
    """Encrypts and decrypts secrets (authenticated, timestamped Fernet tokens)."""

    __slots__ = ("_fernet",)

    def __init__(self, key: str | bytes) -> None:
        text = key.decode() if isinstance(key, bytes) else key
        parts = [part.strip() for part in text.split(",") if part.strip()]
        try:
            self._fernet = MultiFernet([Fernet(part.encode()) for part in parts])
        except ValueError as exc:  # a part is not a key, or there is none
            raise ConfigError("AKENEO_SYNC_ENCRYPTION_KEY must be Fernet keys, comma-separated") from exc

    @classmethod
    def generate(cls) -> TokenCipher:
        """A cipher with a fresh random key (the demo, which keeps nothing across runs)."""
        return cls(Fernet.generate_key())

    def encrypt(self, plaintext: str) -> bytes:
        """The ciphertext of `plaintext`."""
        return self._fernet.encrypt(plaintext.encode())

    def rotate(self, ciphertext: bytes) -> bytes:
        """The same plaintext encrypted under the first key; `StateError` as `decrypt`."""
        try:
            return self._fernet.rotate(ciphertext)
        except InvalidToken as exc:
            raise StateError("a stored token cannot be decrypted with the configured ENCRYPTION_KEY") from exc

    def decrypt(self, ciphertext: bytes) -> str:
        """The plaintext; `StateError` if the data was tampered with or the key changed."""
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except InvalidToken as exc:
            # Never echo the ciphertext: a wrong key must not leak what was stored.
            raise StateError("a stored token cannot be decrypted with the configured ENCRYPTION_KEY") from exc
