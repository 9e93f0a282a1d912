"""The Akeneo PIM client: OAuth, tokens, fair-use rate limiting, retries and pagination."""

from akeneo_sync.akeneo.auth import AppTokenProvider, ConnectionTokenProvider, TokenProvider
from akeneo_sync.akeneo.client import AkeneoClient, CatalogClient
from akeneo_sync.akeneo.http import HttpClientPool, build_http_client
from akeneo_sync.akeneo.oauth import authorize_url, code_challenge, exchange_code, new_code_identifier, new_state
from akeneo_sync.akeneo.ratelimit import (
    FairUseLimiter,
    FairUsePolicy,
    FairUseSlots,
    FleetFairUseLimiter,
    InProcessFairUseLimiter,
)
from akeneo_sync.akeneo.types import CatalogInfo, MappedProduct, Page, TokenGrant

__all__ = [
    "AkeneoClient",
    "AppTokenProvider",
    "CatalogClient",
    "CatalogInfo",
    "ConnectionTokenProvider",
    "FairUseLimiter",
    "FairUsePolicy",
    "FairUseSlots",
    "FleetFairUseLimiter",
    "HttpClientPool",
    "InProcessFairUseLimiter",
    "MappedProduct",
    "Page",
    "TokenGrant",
    "TokenProvider",
    "authorize_url",
    "build_http_client",
    "code_challenge",
    "exchange_code",
    "new_code_identifier",
    "new_state",
]
