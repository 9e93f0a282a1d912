"""Akeneo Event Platform side: the management-API client and a local emulator of the platform."""

from akeneo_sync.eventplatform.client import EventPlatformClient, PimIdentity

__all__ = ["EventPlatformClient", "PimIdentity"]
