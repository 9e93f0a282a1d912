"""The module dramatiq's CLI imports in every worker process (`akeneo-sync worker` runs it).

Order matters: settings and logging first, then the broker is installed, then the runtime, and
only then the actors module (actors bind to the global broker when they are declared).
"""

from __future__ import annotations

from dramatiq.middleware.prometheus import Prometheus

from akeneo_sync.clock import SystemClock
from akeneo_sync.logging import configure_logging
from akeneo_sync.metrics import set_tenant_labels
from akeneo_sync.observability import initialize_series
from akeneo_sync.settings import load_settings
from akeneo_sync.state.connect import connect
from akeneo_sync.worker.broker import build_broker, install_broker
from akeneo_sync.worker.runtime import build_runtime, install_runtime
from akeneo_sync.worker.shutdown import StopFlag

settings = load_settings()
configure_logging(settings.log_format, settings.log_level)
set_tenant_labels(settings.metrics_tenant_labels)
initialize_series()
stop = StopFlag()
client = connect(settings.redis_url)
broker = install_broker(
    build_broker(
        client,
        middleware=[stop, Prometheus()],
        heartbeat_timeout_s=settings.broker_heartbeat_timeout_s,
        maintenance_chance=settings.broker_maintenance_chance,
    )
)
runtime = install_runtime(build_runtime(settings, client, clock=SystemClock(), stop=stop))

from akeneo_sync.worker import actors  # noqa: E402 -- after the broker, see the module docstring

__all__ = ["actors", "broker", "runtime"]
