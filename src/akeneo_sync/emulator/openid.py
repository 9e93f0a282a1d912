"""OpenID Connect for Apps: the RS256 ID token and the certificate that verifies it (docs/akeneo.md).

The key pair is made on first use (an RSA key takes tens of milliseconds) and lives as long as
the emulator; the public key is served as a self-signed X.509 certificate in PEM, as the PIM does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from akeneo_sync.clock import Clock

__all__ = ["OpenIdIssuer"]

_TOKEN_TTL_S: Final = 3600
# A fixed demo user: the PIM user who clicked "Connect".
_USER: Final = {"id": "1", "email": "julia@example.com", "firstname": "Julia", "lastname": "Stark"}


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class OpenIdIssuer:
    """Signs ID tokens for the authentication scopes `openid`, `profile`, `email`."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._key: rsa.RSAPrivateKey | None = None
        self._certificate_pem = ""

    def _ensure_key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._key is None:
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "akeneo-sync PIM emulator")])
                now = datetime.fromtimestamp(self._clock.now(), tz=UTC)
                certificate = (
                    x509.CertificateBuilder()
                    .subject_name(name)
                    .issuer_name(name)
                    .public_key(key.public_key())
                    .serial_number(x509.random_serial_number())
                    .not_valid_before(now - timedelta(days=1))
                    .not_valid_after(now + timedelta(days=3650))
                    .sign(key, hashes.SHA256())
                )
                self._certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
                self._key = key
            return self._key

    def public_key(self) -> str:
        """The PEM certificate holding the current public key."""
        self._ensure_key()
        return self._certificate_pem

    def id_token(self, issuer: str, client_id: str, scopes: tuple[str, ...]) -> str:
        """An RS256 JWT for the demo user, with the claims the granted scopes allow."""
        key = self._ensure_key()
        now = self._clock.now()
        # `sub` is pairwise: the same user looks different to each app (Akeneo's authorization docs).
        sub = str(uuid.UUID(bytes=hashlib.sha256(f"{client_id}:{_USER['id']}".encode()).digest()[:16], version=4))
        claims: dict[str, Any] = {
            "iss": issuer,
            "jti": str(uuid.uuid4()),
            "sub": sub,
            "aud": client_id,
            "iat": now,
            "exp": now + _TOKEN_TTL_S,
        }
        if "email" in scopes:
            claims |= {"email": _USER["email"], "email_verified": False}
        if "profile" in scopes:
            claims |= {"firstname": _USER["firstname"], "lastname": _USER["lastname"]}
        header = _b64url(json.dumps({"typ": "JWT", "alg": "RS256"}, separators=(",", ":")).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{payload}.{_b64url(signature)}"
