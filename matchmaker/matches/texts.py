"""What every proposal card says, translated once per language instead of once per card.

A proposals page shows up to fifty cards, and each card said some fifteen fixed phrases through `_()` (about
3 microseconds each in a template): a fifth of the page's rendering. The phrases are translated here the
first time a language needs them and kept for the life of the process, one set per catalogue (the
catalogue is the language: a mail rendered in its recipient's language inside a request gets its own set).
Nothing in them depends on the reader or the data; a phrase with a name keeps its `%(name)s`, filled in the
template with `%`, which escapes the name (Markup)."""

from flask_babel import gettext
from markupsafe import Markup

from matchmaker.i18n import current_catalogue

_kept: dict[object, dict[str, Markup]] = {}


def _translated() -> dict[str, Markup]:
    texts = {
        "match_score": gettext("Match score"),
        "strong": gettext("strong match"),
        "fair": gettext("fair match"),
        "weak": gettext("weak match"),
        "your_answer": gettext("Your answer"),
        "interested": gettext("Interested"),
        "not_interested": gettext("Not interested"),
        "undo": gettext("Undo my answer"),
        "mutual_match": gettext("Mutual match"),
        "both_interested": gettext("You are both interested."),
        "marked_interesting": gettext("You marked this as interesting."),
        "marked_not_interesting": gettext("You marked this as not interesting."),
        "not_answered": gettext("You have not answered yet."),
        "name_interested": gettext("%(name)s is interested"),
        "start_conversation": gettext("Start a conversation"),
        "request_meeting": gettext("Request a meeting"),
        "with_name": gettext("with %(name)s"),
        "why": gettext("Why this proposal?"),
        "why_hint": gettext(
            "The proposal's page explains why it matches: the shared words, CPV codes and themes."
        ),
        "open_proposal": gettext("Open this proposal"),
    }
    # Our own catalogue's words, trusted as the templates' `_` trusts them (matchmaker.i18n).
    return {key: Markup(value) for key, value in texts.items()}  # noqa: S704


def card_texts() -> dict[str, Markup]:
    """The card's phrases in the current language (a template global)."""
    catalogue = current_catalogue()
    texts = _kept.get(catalogue)
    if texts is None:
        texts = _kept[catalogue] = _translated()
    return texts
