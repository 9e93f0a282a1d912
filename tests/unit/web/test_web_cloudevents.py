"""Parsing the Event Platform's CloudEvents and notifications."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from akeneo_sync.web.models import CloudEvent, ProductData, StatusNotification

DOC_EXAMPLE = {
    "specversion": "1.0",
    "id": "018e197c-dfe2-70f8-9346-1a8e016f5fbb",
    "source": "pim",
    "type": "com.akeneo.pim.v1.product.updated",
    "subject": "019256aa-7f77-7f58-bc8c-770f7e369c5b",
    "time": "2024-02-22T17:31:00Z",
    "datacontenttype": "application/json",
    "dataschema": "https://event.prd.sdk.akeneo.cloud/spec/com.akeneo.pim.v1.product.updated.schema.json",
    "data": {
        "product": {"uuid": "6a9f8486-0000-0000-0000-000000000001"},
        "author": {"identifier": "julia", "type": "user"},
    },
}


def test_the_documented_example_parses() -> None:
    event = CloudEvent.model_validate_json(json.dumps(DOC_EXAMPLE))
    assert (event.id, event.subject, event.type) == (DOC_EXAMPLE["id"], DOC_EXAMPLE["subject"], DOC_EXAMPLE["type"])
    data = ProductData.model_validate(event.data)
    assert data.product.uuid == "6a9f8486-0000-0000-0000-000000000001"
    assert data.author is not None
    assert data.author.type == "user"


@pytest.mark.parametrize("source", ["pim", "akeneo-event-platform", ""])
def test_source_is_not_validated_strictly(source: str) -> None:
    assert CloudEvent.model_validate({**DOC_EXAMPLE, "source": source}).source == source


@pytest.mark.parametrize("missing", ["specversion", "id", "type", "subject"])
def test_a_required_attribute_missing_is_refused(missing: str) -> None:
    body = {k: v for k, v in DOC_EXAMPLE.items() if k != missing}
    with pytest.raises(ValidationError, match=missing):
        CloudEvent.model_validate(body)


def test_another_specversion_is_refused() -> None:
    with pytest.raises(ValidationError, match="specversion"):
        CloudEvent.model_validate({**DOC_EXAMPLE, "specversion": "0.3"})


def test_product_data_without_a_uuid_is_refused() -> None:
    with pytest.raises(ValidationError, match="uuid"):
        ProductData.model_validate({"product": {"identifier": "sku-1"}})


def test_a_documented_notification_parses() -> None:
    note = StatusNotification.model_validate(
        {
            "notification_type": "subscription.suspended.system",
            "timestamp": "2024-10-14T13:01:21Z",
            "subscription_id": "sub-1",
            "subscriber_id": "subr-1",
            "destination": "https://x/events",
            "events": ["com.akeneo.pim.v1.product.updated"],
            "reason": "success rate below 90%",
            "subject": "https://pim",
        }
    )
    assert (note.notification_type, note.subscription_id) == ("subscription.suspended.system", "sub-1")
