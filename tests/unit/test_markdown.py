"""Safe Markdown: what users write is rendered, what could harm visitors is removed."""

import pytest

from matchmaker.markdown import markdown_to_text, render_markdown


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="#" onclick="alert(1)">klik</a>',
        "[klik](javascript:alert(1))",
        '<iframe src="https://evil.example"></iframe>',
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<svg onload=alert(1)>",
    ],
)
def test_dangerous_markup_is_removed(source):
    html = str(render_markdown(source)).lower()
    for needle in ("<script", "onerror", "onclick", "javascript:", "<iframe", "style=", "onload", "<svg"):
        assert needle not in html


def test_links_get_rel_nofollow():
    html = str(render_markdown("[Matchmaker](https://example.org)"))
    assert '<a href="https://example.org" rel="nofollow noopener noreferrer">Matchmaker</a>' in html


def test_raw_html_links_also_get_rel_nofollow():
    html = str(render_markdown('<a href="https://example.org" rel="author">site</a>'))
    assert 'rel="nofollow noopener noreferrer"' in html
    assert "author" not in html


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**vet**", "<strong>vet</strong>"),
        ("*schuin*", "<em>schuin</em>"),
        ("- een\n- twee", "<li>een</li>"),
        ("1. eerst\n2. dan", "<ol>"),
        ("`code`", "<code>code</code>"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "<td>1</td>"),
    ],
)
def test_common_markdown_is_rendered(source, expected):
    assert expected in str(render_markdown(source))


@pytest.mark.parametrize(("source", "tag"), [("# Titel", "h3"), ("## Sub", "h4"), ("#### Diep", "h6")])
def test_headings_start_below_the_page_headings(source, tag):
    html = str(render_markdown(source))
    assert html.startswith(f"<{tag}>")
    assert "<h1" not in html and "<h2" not in html


@pytest.mark.parametrize("source", [None, "", "   \n "])
def test_empty_text_renders_nothing(source):
    assert str(render_markdown(source)) == ""


def test_result_is_safe_markup_for_jinja():
    assert hasattr(render_markdown("x"), "__html__")


def test_markdown_to_text_keeps_only_the_words():
    assert markdown_to_text("**Vet** & [link](https://x.org)\n\n<script>x</script>") == "Vet & link"
