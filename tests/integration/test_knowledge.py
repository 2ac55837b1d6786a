"""The knowledge base (issue 19): articles in three languages with a fallback that says so, drafts hidden from
the public, the editors' area and its history, hreflang and sitemaps for the languages an article has, the
shipped guides (`flask knowledge seed`, idempotent), links from needs and the tracker; and support requests
(a need's organisation asks, the editors are notified by mail as they chose, answer, nobody else sees it)."""

import re

import pytest
import sqlalchemy as sa
from flask_babel import refresh as refresh_babel

from matchmaker.extensions import db
from matchmaker.models import Article, ArticleRevision, EmailMode, Notification, SupportRequest
from matchmaker.services import Invalid, NotAllowed, NotFound, notifications, support
from matchmaker.services import knowledge as service
from matchmaker.services.knowledge import ArticleInput, TranslationInput
from tests.factories import add_need
from tests.helpers import counting


@pytest.fixture
def editor(make_user):
    return make_user(roles=("knowledge_editor",), display_name="Eddy Editor", language="en")


@pytest.fixture
def buyer(make_buyer):
    return make_buyer(display_name="Bea Buyer")


@pytest.fixture
def need(buyer):
    return add_need(
        buyer.user, status="open", title="Wrong-way drivers", procurement_route="market_consultation"
    )


def texts(**languages) -> dict[str, TranslationInput]:
    return {
        lang: TranslationInput(title=title, summary=f"{title} in short", body=f"{title} body text.")
        for lang, title in languages.items()
    }


def write(editor, slug="a-guide", route=None, publish=True, **languages) -> Article:
    article = service.create_article(
        editor, ArticleInput(slug, "procurement_routes", route, texts(**(languages or {"nl": "Gids"})))
    )
    if publish:
        service.set_published(editor, article, True)
    return article


def in_language(client, language: str) -> None:
    with client.session_transaction() as session:
        session["language"] = language


# --- reading -------------------------------------------------------------------------------------------


def test_a_reader_gets_their_language_or_another_with_a_note_and_lang_marks(client, editor):
    write(editor, nl="Marktconsultatie", en="Market consultation")
    english = client.get("/en/knowledge/a-guide").get_data(as_text=True)
    assert '<h1 id="article-title">Market consultation</h1>' in english
    assert "not yet available in your language" not in english

    french = client.get("/fr/knowledge/a-guide").get_data(as_text=True)
    assert '<h1 id="article-title" lang="nl">Marktconsultatie</h1>' in french
    assert 'class="translation-note" role="note"' in french
    assert '<div class="page-body rendered-markdown" lang="nl">' in french
    assert '<meta name="robots" content="noindex">' in french  # another language than the address says


def test_hreflang_and_sitemaps_name_only_the_languages_an_article_has(client, editor):
    write(editor, nl="Marktconsultatie", en="Market consultation")
    page = client.get("/en/knowledge/a-guide").get_data(as_text=True)
    assert 'hreflang="nl" href="http://localhost/nl/knowledge/a-guide"' in page
    assert 'hreflang="en"' in page
    assert 'hreflang="fr"' not in page
    english = client.get("/sitemap-en-1.xml").get_data(as_text=True)
    french = client.get("/sitemap-fr-1.xml").get_data(as_text=True)
    assert "/en/knowledge/a-guide</loc>" in english
    assert "/knowledge/a-guide" not in french
    assert "/fr/knowledge/</loc>" in french  # the index is in every language


def test_drafts_are_hidden_from_the_public_and_shown_to_editors(client, auth, editor, make_user):
    write(editor, slug="draft-guide", publish=False, en="Secret draft")
    assert client.get("/en/knowledge/draft-guide").status_code == 404
    assert "Secret draft" not in client.get("/en/knowledge/").get_data(as_text=True)
    assert "draft-guide" not in client.get("/sitemap-en-1.xml").get_data(as_text=True)
    auth.login(make_user(roles=("buyer",)))
    assert client.get("/en/knowledge/draft-guide").status_code == 404
    auth.login(editor)
    page = client.get("/en/knowledge/draft-guide")
    assert page.status_code == 200
    assert "This article is a draft" in page.get_data(as_text=True)


def test_the_index_groups_guides_by_route_then_by_topic(client, editor):
    write(editor, slug="pcp", route="pre_commercial_procurement", en="PCP explained")
    service.create_article(editor, ArticleInput("norm", "policy_and_funding", None, texts(en="The 3% norm")))
    service.set_published(editor, service.get_article("norm"), True)
    page = client.get("/en/knowledge/").get_data(as_text=True)
    assert page.index("Pre-commercial procurement") < page.index("PCP explained") < page.index("By topic")
    assert page.index("Policy and funding") < page.index("The 3% norm")


# --- editing -------------------------------------------------------------------------------------------


def test_only_editors_and_administrators_write_articles(client, auth, make_user, editor):
    data = ArticleInput("x", "procurement_routes", None, texts(en="X"))
    with pytest.raises(NotAllowed):
        service.create_article(make_user(roles=("organizer",)), data)
    auth.login(make_user(roles=("buyer",)))
    assert client.get("/knowledge/manage").status_code == 403
    assert client.get("/knowledge/manage/new").status_code == 403
    auth.login(make_user(roles=("admin",)))
    assert client.get("/knowledge/manage").status_code == 200


def test_an_editor_writes_publishes_and_the_history_says_who_changed_what(client, auth, editor):
    auth.login(editor)
    form = {
        "slug": "competitive-dialogue",
        "topic": "procurement_routes",
        "procurement_route": "competitive_dialogue",
        "position": "5",
        "title_en": "Competitive dialogue",
        "summary_en": "When the solution is not known.",
        "body_en": "# Steps\n\n1. Notice\n2. Dialogue",
    }
    response = client.post("/knowledge/manage/new", data=form)
    assert response.status_code == 302
    article = service.get_article("competitive-dialogue")
    assert not article.published and article.languages == "en"
    form.update(version=str(article.version), title_nl="Concurrentiegerichte dialoog", body_nl="Tekst.")
    assert client.post(f"/knowledge/manage/{article.id}/edit", data=form).status_code == 302
    assert client.post(f"/knowledge/manage/{article.id}/publish").status_code == 302
    db.session.expire_all()
    assert article.published and article.languages == "nl en"
    history = client.get(f"/knowledge/manage/{article.id}/history").get_data(as_text=True)
    assert history.count("<td>Eddy Editor</td>") == 3
    assert "added: Dutch" in history and "Published" in history
    actions = db.session.scalars(
        sa.select(ArticleRevision.action)
        .where(ArticleRevision.article_id == article.id)
        .order_by(ArticleRevision.id)
    ).all()
    assert actions == ["created", "edited", "published"]


def test_bad_article_input_gets_messages_not_a_500(client, auth, editor):
    auth.login(editor)
    response = client.post(
        "/knowledge/manage/new",
        data={
            "slug": "Not A Slug",
            "topic": "procurement_routes",
            "title_fr": "",
            "body_fr": "Texte sans titre",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "lower-case letters" in page and "Give this translation a title" in page
    with pytest.raises(Invalid):
        service.create_article(editor, ArticleInput("empty", "procurement_routes", None, {}))
    with pytest.raises(Invalid):
        service.create_article(
            editor, ArticleInput("manage", "procurement_routes", None, texts(en="Reserved"))
        )


def test_a_stale_edit_is_refused(client, auth, editor):
    article = write(editor, en="First")
    auth.login(editor)
    stale = {
        "topic": "procurement_routes",
        "title_en": "Mine",
        "body_en": "Mine.",
        "version": str(article.version - 1),
    }
    assert client.post(f"/knowledge/manage/{article.id}/edit", data=stale).status_code == 409
    db.session.expire_all()
    assert article.translation("en").title == "First"


# --- the shipped guides --------------------------------------------------------------------------------


def test_seeding_loads_every_guide_in_three_languages_once_and_keeps_edits(runner, app, editor):
    result = runner.invoke(args=["knowledge", "seed"])
    assert result.exit_code == 0, result.output
    articles = service.published_articles()
    assert {a.slug for a in articles} == {spec.slug for spec in service.SHIPPED}
    for article in articles:
        assert article.language_list == ["nl", "fr", "en"], article.slug
    assert {a.procurement_route for a in articles} >= set(service.ROUTES)
    guide = service.get_article("market-consultation")
    data = ArticleInput(guide.slug, guide.topic, guide.procurement_route, texts(nl="Aangepast"))
    service.update_article(editor, guide, data, guide.version)
    again = runner.invoke(args=["knowledge", "seed"])
    assert f"0 articles created, {len(service.SHIPPED)} already there" in again.output
    db.session.expire_all()
    assert guide.language_list == ["nl"] and guide.translation("nl").title == "Aangepast"


# --- links from needs and the tracker ------------------------------------------------------------------


def test_a_need_and_the_tracker_link_to_the_guide_of_the_route(client, auth, editor, buyer, need):
    write(editor, slug="market-consultation", route="market_consultation", en="Market consultation guide")
    auth.login(buyer.user)
    page = client.get(f"/en/catalogue/needs/{need.id}").get_data(as_text=True)
    assert 'href="/en/knowledge/market-consultation">How do I run a market consultation?</a>' in page
    assert f'href="/en/knowledge/support/ask/{need.id}"' in page
    auth.logout()
    public = client.get(f"/en/catalogue/needs/{need.id}").get_data(as_text=True)
    assert "How do I run a market consultation?" in public
    assert "/knowledge/support/ask/" not in public  # only the need's organisation asks
    assert 'href="/en/knowledge/"' in client.get("/en/tracker/").get_data(as_text=True)


# --- support requests ----------------------------------------------------------------------------------


def test_a_support_request_reaches_the_editors_by_mail_as_they_chose(buyer, need, editor, make_user, outbox):
    quiet = make_user(roles=("knowledge_editor",), email="quiet@example.org")
    notifications.set_email_mode(quiet, EmailMode.NONE)
    support.ask_for_guidance(buyer.user, need, "Which route?", "We want to talk to the market first.")
    assert [m for m in outbox if editor.email in str(m.to)]
    assert not [m for m in outbox if "quiet@example.org" in str(m.to)]
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == quiet.id)).all()
    assert kinds == ["support_request"]  # still on the platform


def test_without_editors_the_administrators_get_the_request(buyer, need, make_user):
    admin = make_user(roles=("admin",))
    support.ask_for_guidance(buyer.user, need, "Help", "Please.")
    assert (
        db.session.scalar(sa.select(Notification.kind).where(Notification.user_id == admin.id))
        == "support_request"
    )


def test_the_thread_is_answered_on_the_platform_and_the_asker_notified(
    client, auth, buyer, need, editor, outbox
):
    request = support.ask_for_guidance(buyer.user, need, "Which route?", "Where do we start?")
    auth.login(editor)
    response = client.post(
        f"/knowledge/support/{request.id}/reply", data={"body": "Start with a consultation."}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert request.status == "answered"
    assert [m for m in outbox if buyer.user.email in str(m.to)]
    auth.login(buyer.user)
    page = client.get(f"/en/knowledge/support/{request.id}").get_data(as_text=True)
    assert "Start with a consultation." in page and "knowledge network" in page
    client.post(f"/knowledge/support/{request.id}/reply", data={"body": "Thanks, and the budget?"})
    db.session.expire_all()
    assert request.status == "open"


def test_only_the_needs_organisation_and_the_network_see_a_request(
    client, auth, buyer, need, make_buyer, make_user
):
    request = support.ask_for_guidance(buyer.user, need, "Private subject", "Private question.")
    other = make_buyer()
    with pytest.raises(NotFound):
        support.get_request(other.user, request.id)
    with pytest.raises(NotAllowed):
        support.ask_for_guidance(other.user, need, "Me too", "Not mine.")
    auth.login(other.user)
    assert client.get(f"/knowledge/support/{request.id}").status_code == 404
    assert client.post(f"/knowledge/support/{request.id}/reply", data={"body": "x"}).status_code == 404
    assert client.get(f"/knowledge/support/ask/{need.id}").status_code == 403
    assert "Private subject" not in client.get("/knowledge/support").get_data(as_text=True)
    assert "Private subject" not in client.get(f"/en/catalogue/needs/{need.id}").get_data(as_text=True)
    auth.login(make_user(roles=("organizer",)))
    assert client.get(f"/knowledge/support/{request.id}").status_code == 404
    auth.login(make_user(roles=("admin",)))
    assert client.get(f"/knowledge/support/{request.id}").status_code == 200


def test_asking_validates_the_form(client, auth, buyer, need):
    auth.login(buyer.user)
    page = client.get(f"/en/knowledge/support/ask/{need.id}").get_data(as_text=True)
    assert 'value="How do I run a market consultation?"' in page  # the route's question, to start from
    response = client.post(f"/knowledge/support/ask/{need.id}", data={"subject": "", "body": ""})
    assert response.status_code == 422
    assert "Write your question." in response.get_data(as_text=True)
    response = client.post(
        f"/knowledge/support/ask/{need.id}", data={"subject": "Route?", "body": "Which one?"}
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 1


# --- templates to download -----------------------------------------------------------------------------


def test_seeded_guides_carry_templates_that_anyone_downloads_as_opendocument(client, app):
    service.seed_knowledge_base()
    article = service.get_article("market-consultation")
    templates = service.templates_of(article, "fr")
    assert [t.language for t in templates] == ["fr", "nl", "en"]
    page = client.get("/fr/knowledge/market-consultation").get_data(as_text=True)
    assert "Questionnaire pour une consultation préalable du marché" in page
    response = client.get(f"/documents/{templates[0].document_id}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.oasis.opendocument.text"
    assert "attachment" in response.headers["Content-Disposition"]


def test_an_editor_attaches_and_removes_a_template_and_drafts_keep_theirs_private(client, auth, editor):
    from matchmaker.knowledge.odt import build_odt

    article = write(editor, publish=False, en="Guide")
    auth.login(editor)
    data = {
        "title": "Checklist",
        "language": "en",
        "file": (__import__("io").BytesIO(build_odt("# Checklist", "Checklist", "en")), "checklist.odt"),
    }
    response = client.post(
        f"/knowledge/manage/{article.id}/templates", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    template = service.templates_of(article)[0]
    auth.logout()
    assert client.get(f"/documents/{template.document_id}").status_code == 404  # the article is a draft
    auth.login(editor)
    hostile = {
        "title": "Evil",
        "language": "",
        "file": (__import__("io").BytesIO(b"MZ\x90\x00evil"), "evil.pdf"),
    }
    response = client.post(
        f"/knowledge/manage/{article.id}/templates", data=hostile, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert client.post(f"/knowledge/manage/{article.id}/templates/{template.id}/remove").status_code == 302
    assert service.templates_of(article) == []
    history = client.get(f"/knowledge/manage/{article.id}/history").get_data(as_text=True)
    assert "template added: Checklist" in history and "template removed: Checklist" in history


def test_an_administrator_grants_the_editor_role_that_opens_the_editing_area(client, auth, make_user):
    person = make_user(roles=("buyer",), display_name="Kim Knowledge")
    auth.login(person)
    assert client.get("/knowledge/manage").status_code == 403
    auth.login(make_user(roles=("admin",)))
    assert "Knowledge network editor" in client.get(f"/en/admin/users/{person.id}").get_data(as_text=True)
    assert client.post(f"/admin/users/{person.id}/roles/knowledge_editor/grant").status_code == 302
    auth.login(person)
    assert client.get("/knowledge/manage").status_code == 200


def test_the_preview_renders_the_markdown_without_saving(client, auth, editor):
    auth.login(editor)
    data = {
        "slug": "draft",
        "topic": "getting_started",
        "title_fr": "Aperçu",
        "body_fr": "# Étapes\n\n**gras**",
    }
    response = client.post("/knowledge/manage/new", data={**data, "action": "preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<section class="preview-language" lang="fr"' in page
    assert "<h2>Étapes</h2>" in page and "<strong>gras</strong>" in page
    assert service.get_article("draft") is None


def test_the_network_reads_a_request_about_a_draft_need_without_a_link_to_it(client, auth, buyer, editor):
    draft = add_need(buyer.user, title="Draft need")
    request = support.ask_for_guidance(buyer.user, draft, "Early question", "Is this a PCP?")
    auth.login(editor)
    page = client.get(f"/en/knowledge/support/{request.id}").get_data(as_text=True)
    assert "Draft need" in page
    assert f"/catalogue/needs/{draft.id}" not in page  # the editor may not open a draft need


def test_what_a_user_wrote_in_support_requests_is_in_their_personal_data_export(buyer, need, editor):
    from matchmaker.services import accounts

    request = support.ask_for_guidance(buyer.user, need, "Which route?", "Our question.")
    support.reply(editor, request, "Our answer.")
    [asked] = accounts.export_personal_data(buyer.user)["data"]["support_messages"]
    assert asked["body"] == "Our question." and asked["as_knowledge_network"] is False
    [answered] = accounts.export_personal_data(editor)["data"]["support_messages"]
    assert answered["body"] == "Our answer." and answered["as_knowledge_network"] is True


# --- in the site search (/search) -------------------------------------------------------------------------


def _guide(editor, slug: str, publish: bool = True, position: int = 0, **languages):
    """A guide with a (title, body) per language; its summary says only 'Summary'."""
    texts = {lang: TranslationInput(title=t, summary="Summary", body=b) for lang, (t, b) in languages.items()}
    article = service.create_article(editor, ArticleInput(slug, "procurement_routes", None, texts, position))
    if publish:
        service.set_published(editor, article, True)
    return article


def _group_total(html: str, kind: str) -> int:
    found = re.search(rf'<a href="#results-{kind}">[^<]*<span class="badge[^"]*">(\d+)</span>', html)
    return int(found.group(1)) if found else 0


def _search_in(client, language: str, q: str) -> str:
    refresh_babel()  # the services the test called cached their locale in the app context requests reuse
    response = client.get(f"/{language}/search", query_string={"q": q})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def guides(editor):
    _guide(
        editor,
        "marktverkenning",
        nl=(
            "Marktverkenning",
            "Een Écoloketvergadering met leveranciers, zonder de mededinging te verstoren.",
        ),
        fr=(
            "Consultation du marché",
            "Une réunion d'Écoquartier avec les fournisseurs, sans fausser la concurrence.",
        ),
    )
    _guide(editor, "alleen-nederlands", nl=("Alleen in het Nederlands", "Over de zeppelinhangar."))


def test_a_guide_is_found_by_a_word_of_its_text_in_dutch_and_in_french_folded(client, guides):
    dutch = _search_in(client, "nl", "ECOLOKETVERGADERING")  # case and accents do not matter
    assert _group_total(dutch, "guide") == 1
    assert '<a href="/nl/knowledge/marktverkenning">Marktverkenning</a>' in dutch
    french = _search_in(client, "fr", "écoquartier fournisseurs")
    assert _group_total(french, "guide") == 1
    assert '<a href="/fr/knowledge/marktverkenning">Consultation du marché</a>' in french
    # A reader's language the guide has is the one searched: the Dutch word finds nothing for a French reader.
    assert _group_total(_search_in(client, "fr", "ecoloketvergadering"), "guide") == 0


def test_a_guide_missing_the_readers_language_is_found_in_another_and_marked(client, guides):
    html = _search_in(client, "en", "zeppelinhangar")
    assert _group_total(html, "guide") == 1
    assert '<a href="/en/knowledge/alleen-nederlands" lang="nl">Alleen in het Nederlands</a>' in html
    assert "Not yet available in your language: in Nederlands." in html
    # A guide written in none of the reader's words but in two other languages: found by either.
    assert _group_total(_search_in(client, "en", "ecoquartier"), "guide") == 1
    assert _group_total(_search_in(client, "en", "ecoloketvergadering"), "guide") == 1


def test_a_link_from_a_search_without_prefix_goes_to_the_readers_language(client, guides):
    response = client.get("/search", query_string={"q": "zeppelinhangar"}, headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert 'href="/en/knowledge/alleen-nederlands"' in html


def test_title_hits_come_first(client, editor):
    _guide(editor, "body-hit", position=1, en=("Procurement basics", "Mentions the quokka once."))
    _guide(editor, "title-hit", position=2, en=("The quokka guide", "All about it."))
    html = _search_in(client, "en", "quokka")
    assert html.index("The quokka guide") < html.index("Procurement basics")


def test_a_draft_guide_is_never_found_not_even_by_its_editor(client, auth, editor, guides):
    _guide(editor, "concept", publish=False, nl=("Geheime kladversie", "Over de zeppelinhangar in klad."))
    assert "Geheime kladversie" not in _search_in(client, "nl", "kladversie")
    auth.login(editor)
    html = _search_in(client, "nl", "zeppelinhangar")
    assert "Geheime kladversie" not in html and _group_total(html, "guide") == 1


def test_searching_guides_costs_a_fixed_number_of_statements(client, editor, guides):
    def statements() -> tuple[int, int]:
        db.session.commit()
        db.session.expire_all()
        _search_in(client, "fr", "fournisseurs")
        with counting() as seen:
            html = _search_in(client, "fr", "fournisseurs")
        return len(seen), _group_total(html, "guide")

    few, found = statements()
    for n in range(4):
        _guide(
            editor,
            f"guide-{n}",
            nl=(f"Gids {n}", "Leveranciers."),
            fr=(f"Guide {n}", "Des fournisseurs."),
            en=(f"Guide {n}", "Suppliers."),
        )
    many, more = statements()
    assert (found, more) == (1, 5)
    assert many == few


@pytest.mark.parametrize(
    "q",
    ["%", "_", "\\", "' OR 1=1 --", "a\x00b", "🦓 zeppelin", "((([[*+?", "**kop**", "é" * 300, "-- ; DROP"],
)
def test_junk_queries_get_a_page_not_a_500(client, guides, q):
    for language in ("nl", "fr", "en"):
        response = client.get(f"/{language}/search", query_string={"q": q})
        assert response.status_code == 200, (language, q)
