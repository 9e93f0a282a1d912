"""The sync engine: full, incremental, by-UUIDs and reconcile runs. It never imports dramatiq."""
