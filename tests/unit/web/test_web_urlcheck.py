"""The SSRF guard on `pim_url`."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from akeneo_sync.web.testing import static_resolver
from akeneo_sync.web.urlcheck import PimUrlError, PimUrlPolicy, validate_pim_url

RESOLVER = static_resolver(
    {
        "pim.example.com": ["93.184.216.34"],
        "internal.example.com": ["10.1.2.3"],
        "mixed.example.com": ["93.184.216.34", "192.168.1.10"],
        "v6.example.com": ["2606:2800:220:1:248:1893:25c8:1946"],
        "localhost": ["127.0.0.1", "::1"],
        "metadata.example.com": ["169.254.169.254"],
    }
)
DEFAULT = PimUrlPolicy()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1", "not allowed"),
        ("https://127.8.9.10:8443", "not allowed"),
        ("https://[::1]", "not allowed"),
        ("https://169.254.169.254/latest/meta-data", "not allowed"),
        ("https://[fe80::1]", "not allowed"),
        ("https://10.0.0.1", "not allowed"),
        ("https://172.16.0.1", "not allowed"),
        ("https://172.31.255.254", "not allowed"),
        ("https://192.168.0.1", "not allowed"),
        ("https://[fc00::1]", "not allowed"),
        ("https://[fd12:3456::1]", "not allowed"),
        ("https://[::ffff:127.0.0.1]", "not allowed"),
        ("https://[::ffff:10.0.0.1]", "not allowed"),
        ("https://0.0.0.0", "not allowed"),
        ("https://[::]", "not allowed"),
        ("https://224.0.0.1", "not allowed"),
        ("https://240.0.0.1", "not allowed"),
        ("https://100.64.0.1", "not allowed"),
        ("https://internal.example.com", "not allowed"),
        ("https://mixed.example.com", "not allowed"),
        ("https://localhost", "not allowed"),
        ("https://metadata.example.com", "not allowed"),
        ("http://pim.example.com", "https"),
        ("ftp://pim.example.com", "https"),
        ("https://user:pass@pim.example.com", "credentials"),
        ("https://user@pim.example.com", "credentials"),
        ("https://pim.example.com/#frag", "fragment"),
        ("https://pim.example.com/?a=b", "query"),
        ("https://unknown.example.com", "does not resolve"),
        ("https://", "no host"),
        ("", "missing"),
        ("pim.example.com", "https"),
        ("https://pim.example.com:99999", "not a valid URL"),
        ("https://[::1", "not a valid URL"),
        ("https://pim.example.com/\x00", "control characters"),
        ("https://pim example.com", "control characters"),
    ],
)
def test_a_dangerous_pim_url_is_refused_by_default(url: str, reason: str) -> None:
    with pytest.raises(PimUrlError, match=re.escape(reason)):
        validate_pim_url(url, DEFAULT, RESOLVER)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://pim.example.com", "https://pim.example.com"),
        ("https://pim.example.com/", "https://pim.example.com"),
        ("  https://pim.example.com//  ", "https://pim.example.com"),
        ("https://PIM.example.com:443/", "https://PIM.example.com:443"),
        ("https://v6.example.com", "https://v6.example.com"),
        ("https://93.184.216.34", "https://93.184.216.34"),
    ],
)
def test_a_public_https_pim_is_accepted_without_its_trailing_slash(url: str, expected: str) -> None:
    assert validate_pim_url(url, DEFAULT, RESOLVER) == expected


def test_the_allowlist_refuses_a_public_pim_outside_it() -> None:
    policy = PimUrlPolicy(allowlist=re.compile(r"https://[a-z0-9-]+\.cloud\.akeneo\.com"))
    with pytest.raises(PimUrlError, match="allow-list"):
        validate_pim_url("https://pim.example.com", policy, RESOLVER)


def test_the_allowlist_admits_a_matching_public_pim() -> None:
    policy = PimUrlPolicy(allowlist=re.compile(r"https://pim\.example\.com"))
    assert validate_pim_url("https://pim.example.com/", policy, RESOLVER) == "https://pim.example.com"


def test_the_allowlist_does_not_make_a_private_address_acceptable() -> None:
    policy = PimUrlPolicy(allowlist=re.compile(r"https://internal\.example\.com"))
    with pytest.raises(PimUrlError, match="not allowed"):
        validate_pim_url("https://internal.example.com", policy, RESOLVER)


def test_allow_private_accepts_http_on_loopback_for_the_emulator() -> None:
    policy = PimUrlPolicy(allow_private=True)
    assert validate_pim_url("http://127.0.0.1:8123/", policy, RESOLVER) == "http://127.0.0.1:8123"
    assert validate_pim_url("http://localhost:8123", policy, RESOLVER) == "http://localhost:8123"


def test_allow_private_still_refuses_http_off_loopback() -> None:
    policy = PimUrlPolicy(allow_private=True)
    with pytest.raises(PimUrlError, match="https"):
        validate_pim_url("http://10.0.0.1", policy, RESOLVER)
    with pytest.raises(PimUrlError, match="https"):
        validate_pim_url("http://pim.example.com", policy, RESOLVER)


def test_allow_private_accepts_https_on_a_private_network() -> None:
    policy = PimUrlPolicy(allow_private=True)
    assert validate_pim_url("https://internal.example.com", policy, RESOLVER) == "https://internal.example.com"


def test_a_resolver_returning_garbage_is_a_refusal_not_a_crash() -> None:
    with pytest.raises(PimUrlError, match="does not resolve"):
        validate_pim_url("https://odd.example.com", DEFAULT, lambda _host: ["not-an-ip"])


@settings(max_examples=300, deadline=None)
@given(url=st.text(max_size=80) | st.builds(lambda host: f"https://{host}/", st.text(max_size=40)))
def test_any_input_is_either_refused_with_a_reason_or_a_public_https_url(url: str) -> None:
    try:
        outcome = validate_pim_url(url, DEFAULT, RESOLVER)
    except PimUrlError as exc:
        outcome = f"refused: {exc}"
    public = {"https://pim.example.com", "https://v6.example.com", "https://93.184.216.34"}
    assert outcome.startswith("refused: pim_url") or outcome in public


def test_the_refusal_names_no_internal_address_and_the_log_does() -> None:
    with capture_logs() as logs, pytest.raises(PimUrlError) as refused:
        validate_pim_url("https://mixed.example.com", DEFAULT, RESOLVER)
    assert "192.168" not in str(refused.value)
    assert "10." not in str(refused.value)
    assert [entry["addresses"] for entry in logs if entry["event"] == "pim_url_private_address"] == [["192.168.1.10"]]


def test_a_unicode_host_is_checked_in_the_form_httpx_connects_to() -> None:
    # The system resolver's IDNA 2003 form of straße is strasse (public); httpx connects to the
    # IDNA 2008 form xn--strae-oqa, which here points inside.
    resolver = static_resolver(
        {
            "straße.example.com": ["93.184.216.34"],
            "strasse.example.com": ["93.184.216.34"],
            "xn--strae-oqa.example.com": ["10.0.0.7"],
        }
    )
    with pytest.raises(PimUrlError, match="not allowed"):
        validate_pim_url("https://straße.example.com", DEFAULT, resolver)
    public = static_resolver({"xn--strae-oqa.example.com": ["93.184.216.34"]})
    assert (
        validate_pim_url("https://straße.example.com/pim/", DEFAULT, public) == "https://xn--strae-oqa.example.com/pim"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/x.cloud.akeneo.com",
        "https://evil.example.com/.cloud.akeneo.com",
        "https://cloud.akeneo.com.evil.example.com",
    ],
)
def test_the_allowlist_is_matched_against_the_host_not_the_path(url: str) -> None:
    resolver = static_resolver(
        {"evil.example.com": ["93.184.216.34"], "cloud.akeneo.com.evil.example.com": ["93.184.216.34"]}
    )
    policy = PimUrlPolicy(allowlist=re.compile(r"https://.*\.cloud\.akeneo\.com"))
    with pytest.raises(PimUrlError, match="allow-list"):
        validate_pim_url(url, policy, resolver)


def test_a_host_only_allowlist_admits_the_saas_hosts() -> None:
    resolver = static_resolver(
        {"acme.cloud.akeneo.com": ["93.184.216.34"], "acme.demo.cloud.akeneo.com": ["93.184.216.34"]}
    )
    policy = PimUrlPolicy(allowlist=re.compile(r"([a-z0-9-]+\.)+cloud\.akeneo\.com"))
    assert validate_pim_url("https://acme.cloud.akeneo.com", policy, resolver) == "https://acme.cloud.akeneo.com"
    assert (
        validate_pim_url("https://acme.demo.cloud.akeneo.com/", policy, resolver)
        == "https://acme.demo.cloud.akeneo.com"
    )
