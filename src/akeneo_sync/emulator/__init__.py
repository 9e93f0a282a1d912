"""The bundled Akeneo PIM emulator: documented endpoints, seeded products, fault injection.

Serve it with ``akeneo-sync emulator --port 8081 --products 10000 --seed 1 [--latency-ms 20]``,
or in tests with ``akeneo_sync.emulator.testing.running_emulator()`` (a real uvicorn server on a
free loopback port). ``create_app(EmulatorConfig(...))`` gives the ASGI app itself.

What it serves, as Akeneo documents it (docs/akeneo.md gathers the facts and their sources):

- ``/connect/apps/v1/authorize`` (auto-approving) and ``/connect/apps/v1/oauth2/token``
  (code_challenge checked, codes single-use and valid 30 s, ``id_token`` with ``openid``),
  ``/connect/apps/v1/openid/public-key``, ``/connect/apps/v1/scopes/update``; ``/api/oauth/v1/token``
  (connection password/refresh grants);
- ``/api/rest/v1/catalogs...``: catalogs, mapping schema (PUT answers 204), product-uuids,
  products, mapped-products (+ the undocumented ``mapped-products/{uuid}``), mapped-models
  (always empty: there are no product models) and variants (404), with bearer auth,
  scopes, search_after cursors, links and the 200-with-``error`` disabled body; where the docs
  are silent it follows Akeneo's code (the conformance table in docs/akeneo.md);
- ``/event-platform/api/v1``: the Event Platform management API; product events are delivered,
  signed, to active subscriptions;
- ``/_emulator/...``: the admin API (apps, tokens, catalogs, products, faults, fair use, stats,
  events), no auth, documented in README.md and docs/akeneo.md.

Module map: ``config`` (switches), ``catalog_data`` (seeded generator), ``store`` (PIM state),
``auth`` (apps, codes, tokens), ``protocol`` (errors, links, dates, bearer auth),
``catalogs_api``/``products_api``/``oauth_api`` (routes), ``mapping`` (schema validation and
mapped products), ``faults`` (ASGI middleware), ``stats``, ``events`` (delivery thread),
``event_platform``/``event_platform_api`` (subscriptions), ``openid``, ``admin``, ``runtime``, ``app``,
``testing``.
"""

from akeneo_sync.emulator.app import create_app
from akeneo_sync.emulator.config import EmulatorConfig

__all__ = ["EmulatorConfig", "create_app"]
