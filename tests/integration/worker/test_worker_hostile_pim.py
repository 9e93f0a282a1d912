"""A PIM listing far more catalogs than the app ever made: refused before any reaches Redis or metrics."""

from __future__ import annotations

import pytest
from worker_stack import Stack

from akeneo_sync.errors import PimError
from akeneo_sync.worker import jobs

pytestmark = pytest.mark.integration


def test_a_pim_listing_more_catalogs_than_the_cap_is_refused_and_nothing_is_stored(stack: Stack) -> None:
    tenant = stack.runtime.state.tenants.require(stack.tenant)
    client = stack.runtime.client_for(tenant)
    for n in range(jobs.MAX_CATALOGS_PER_TENANT + 1):
        client.create_catalog(f"spam {n}")

    with pytest.raises(PimError, match="more than 100 catalogs"):
        jobs.poll_catalogs(stack.runtime, tenant, client)

    assert stack.runtime.state.catalogs.list(stack.tenant) == []


def test_a_pim_listing_catalogs_within_the_cap_is_polled(stack: Stack) -> None:
    tenant = stack.runtime.state.tenants.require(stack.tenant)
    client = stack.runtime.client_for(tenant)
    made = {client.create_catalog(f"store {n}").id for n in range(3)}

    jobs.poll_catalogs(stack.runtime, tenant, client)

    assert {record.id for record in stack.runtime.state.catalogs.list(stack.tenant)} == made
