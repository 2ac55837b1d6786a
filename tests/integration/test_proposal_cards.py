"""The proposal cards' fixed phrases are translated once per language (matchmaker/matches/texts.py), not once
per card: each page still speaks its reader's language, one language never leaks into another's page, and
the names put into a phrase are escaped."""

import re

from flask_babel import force_locale, gettext

from matchmaker.extensions import db
from matchmaker.matches.texts import card_texts


def _cards(client) -> str:
    html = client.get("/matches/").get_data(as_text=True)
    assert "data-proposal" in html
    return html


def _said(app, language: str, phrase: str) -> str:
    with app.test_request_context(), force_locale(language):
        return gettext(phrase)


def test_each_page_speaks_its_readers_language_whatever_the_language_before(app, client, auth, catalogue):
    user = catalogue.buyer.user
    auth.login(user)
    seen = {}
    for language in ("fr", "nl", "fr", "en"):
        user.language = language
        db.session.commit()
        seen.setdefault(language, []).append(_cards(client))
    for language, pages in seen.items():
        others = {"fr", "nl", "en"} - {language}
        for phrase in (
            "Interested",
            "Why this proposal?",
            "Open this proposal",
            "You have not answered yet.",
        ):
            words = _said(app, language, phrase)
            assert all(words in page for page in pages), (language, phrase)
            for other in others:
                theirs = _said(app, other, phrase)
                if theirs != words:
                    assert all(theirs not in page for page in pages), (language, other, phrase)


def test_the_page_language_wins_over_an_earlier_mail_in_another_language(app):
    """A mail rendered in its recipient's language inside a request (force_locale) gets that language's
    phrases; the page's own phrases afterwards are the page's."""
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        page = card_texts()["interested"]
        with force_locale("fr"):
            mail = card_texts()["interested"]
        again = card_texts()["interested"]
    assert mail == _said(app, "fr", "Interested")
    assert page == again == _said(app, "nl", "Interested")
    assert page != mail


def test_a_name_in_a_cards_phrase_is_escaped(client, auth, catalogue):
    """'Start a conversation with <name>' and '<name> is interested' fill the organisation's name in."""
    offering = catalogue.bus_offering
    offering.organisation.name = 'Bus <b>& Co</b> "Brussel"'
    db.session.commit()
    auth.login(catalogue.buyer.user)
    html = _cards(client)
    assert "<b>& Co</b>" not in html
    assert re.search(r"with Bus &lt;b&gt;&amp; Co&lt;/b&gt; (&#34;|&quot;)Brussel(&#34;|&quot;)", html)
