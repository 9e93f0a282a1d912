"""Redis key names the web side owns, under the state store's namespace prefix."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WebKeys"]


@dataclass(frozen=True, slots=True)
class WebKeys:
    """Builds the web side's Redis key names."""

    prefix: str

    def oauth_state(self, state: str) -> str:
        return f"{self.prefix}:web:oauth-state:{state}"

    def batch(self, kind: str, tenant: str) -> str:
        return f"{self.prefix}:web:batch:{kind}:{tenant}"

    def batches_pending(self) -> str:
        return f"{self.prefix}:web:batches"

    def flush_lock(self, kind: str, tenant: str) -> str:
        return f"{self.prefix}:web:flush-lock:{kind}:{tenant}"

    def subscription_status(self, subscription_id: str) -> str:
        return f"{self.prefix}:web:subscription-status:{subscription_id}"
