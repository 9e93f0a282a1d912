"""The Akeneo PIM client: OAuth, tokens, fair-use rate limiting, retries and pagination."""

from akeneo_sync.akeneo.types import CatalogInfo, MappedProduct, Page, TokenGrant

__all__ = ["CatalogInfo", "MappedProduct", "Page", "TokenGrant"]
