"""The sync engine: full, incremental, by-UUIDs and reconcile runs. It never imports dramatiq."""

from akeneo_sync.sync.by_uuid import ReplayReport
from akeneo_sync.sync.engine import EngineOptions, RunControl, SyncEngine
from akeneo_sync.sync.ports import CatalogSource
from akeneo_sync.sync.runner import run_catalog_sync
from akeneo_sync.sync.summary import Outcome, RunSummary
from akeneo_sync.sync.validate import ProductValidator

__all__ = [
    "CatalogSource",
    "EngineOptions",
    "Outcome",
    "ProductValidator",
    "ReplayReport",
    "RunControl",
    "RunSummary",
    "SyncEngine",
    "run_catalog_sync",
]
