"""Akeneo Event Platform side: the management-API client (the bundled PIM emulator emulates the platform)."""

from akeneo_sync.eventplatform.client import EventPlatformClient, PimIdentity

__all__ = ["EventPlatformClient", "PimIdentity"]
