"""The Redis state store: tenants, encrypted tokens, catalogs, checkpoints, digests, locks."""
