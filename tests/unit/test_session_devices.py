"""The sessions page names a login's device as a person would, from its User-Agent header."""

import pytest

from matchmaker.services.user_sessions import describe_device

CHROME = "Chrome/126.0.0.0 Safari/537.36"


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
            ("Firefox", "Windows"),
        ),
        (
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) {CHROME}",
            ("Chrome", "Windows"),
        ),
        (
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) {CHROME} "
            "Edg/126.0.0.0",
            ("Edge", "Windows"),
        ),
        (
            f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) {CHROME} OPR/111.0",
            ("Opera", "Linux"),
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Safari/605.1.15",
            ("Safari", "macOS"),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
            ("Chrome", "iPhone"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            ("Samsung Internet", "Android"),
        ),
        (
            f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Headless{CHROME}",
            ("Chrome", "Linux"),
        ),
        ("curl/8.5.0", ("", "")),
        ("", ("", "")),
    ],
)
def test_a_user_agent_is_named_by_its_browser_and_system(user_agent, expected):
    assert describe_device(user_agent) == expected


def test_a_huge_header_is_read_only_in_part():
    assert describe_device("x" * 100_000 + " Firefox/1") == ("", "")
