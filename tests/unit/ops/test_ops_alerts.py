"""Every alert carries what an on-call engineer needs, and the runbook covers it."""

from __future__ import annotations

import re
from typing import Any

from ops_support import ROOT, grouping_labels, load_yaml_docs

REQUIRED = {
    "AkeneoSyncCatalogLagHigh",  # sync lag above threshold
    "AkeneoSyncCatalogDisabled",
    "AkeneoSyncTenantRevoked",
    "AkeneoSyncDeadLettersGrowing",
    "AkeneoSyncRateLimited",  # 429 back-off sustained
    "AkeneoSyncWorkerDown",
    "AkeneoSyncNoWorkers",  # worker down, when no worker is a scrape target at all
    "AkeneoSyncQueueGrowing",
}


def _anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_required_alert_exists(alert_rules: list[dict[str, Any]]) -> None:
    assert {r["alert"] for r in alert_rules} >= REQUIRED


def test_every_alert_has_for_severity_and_annotations(alert_rules: list[dict[str, Any]]) -> None:
    for rule in alert_rules:
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"info", "warning", "critical"}, rule["alert"]
        for key in ("summary", "description", "runbook_url", "dashboard_url"):
            assert rule["annotations"].get(key), (rule["alert"], key)


def test_summary_or_description_names_every_label_the_alert_carries(alert_rules: list[dict[str, Any]]) -> None:
    for rule in alert_rules:
        text = rule["annotations"]["summary"] + rule["annotations"]["description"]
        for label in grouping_labels(rule["expr"]):
            assert f"$labels.{label}" in text, (rule["alert"], label)


def test_runbook_urls_point_at_sections_of_the_operating_doc(
    alert_rules: list[dict[str, Any]], operating_doc: str
) -> None:
    anchors = {_anchor(h) for h in re.findall(r"^#+ (.+)$", operating_doc, flags=re.MULTILINE)}
    for rule in alert_rules:
        url = rule["annotations"]["runbook_url"]
        assert "docs/operating.md#" in url, rule["alert"]
        assert url.rsplit("#", 1)[1] in anchors, rule["alert"]


def test_the_operating_doc_mentions_every_alert(alert_rules: list[dict[str, Any]], operating_doc: str) -> None:
    for rule in alert_rules:
        assert rule["alert"] in operating_doc


def test_promtool_tests_cover_each_alert_firing_and_quiet(alert_rules: list[dict[str, Any]]) -> None:
    (suite,) = load_yaml_docs(ROOT / "deploy/tests/rules_test.yaml")
    cases = [c for t in suite["tests"] for c in t.get("alert_rule_test", [])]
    for rule in alert_rules:
        mine = [c for c in cases if c["alertname"] == rule["alert"]]
        assert any(c["exp_alerts"] for c in mine), f"{rule['alert']} never expected to fire"
        assert any(not c["exp_alerts"] for c in mine), f"{rule['alert']} never expected to stay quiet"
