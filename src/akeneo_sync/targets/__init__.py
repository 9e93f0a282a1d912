"""Downstream targets: SQLite (embedded default), PostgreSQL and signed HTTP batches."""

from akeneo_sync.targets.base import BatchContext, BatchResult, ReadableTarget, Rejection, Target

__all__ = ["BatchContext", "BatchResult", "ReadableTarget", "Rejection", "Target"]
