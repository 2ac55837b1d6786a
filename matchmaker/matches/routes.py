"""Routes of the matches area: my proposals, a proposal's page, answering it, mutual matches, and the
organizers' overview with its CSV export.

Access: every page needs a login. A proposal is answered only by the organisation that owns the need (buyer
side) or the offering (supplier side): 404 when the user may not see one of the two items, 403 when they may
see both but own neither. The overview is for organizers and administrators (403 for everybody else). The
rules live in services.matching.
"""

import dataclasses

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.forms import flash_refused, refused
from matchmaker.i18n import current_language
from matchmaker.links import safe_next
from matchmaker.matches import bp
from matchmaker.matches.cards import proposal_cards
from matchmaker.matches.forms import InterestForm, OverviewFilterForm
from matchmaker.matches.texts import card_texts
from matchmaker.models import utcnow
from matchmaker.services import ServiceError, item_actions
from matchmaker.services import matching as service
from matchmaker.services import themes as themes_service
from matchmaker.services.matching.explanations import percent
from matchmaker.xlsxfiles import table_response

PER_ITEM_CHOICES = (5, 10, 20)


@bp.app_template_filter("match_strength")
def match_strength(score: float) -> str:
    return service.score_strength(score)


@bp.app_template_filter("score_percent")
def score_percent(score: float) -> int:
    """A score as a whole percentage from 0 to 100 (the score bar's width)."""
    return percent(score)


bp.add_app_template_global(card_texts)
bp.add_app_template_global(proposal_cards)


def _safe_next(value: str | None, fallback: str) -> str:
    """Only a path on this site: the one check of the whole app (it also refuses "/<tab>/evil.example")."""
    return safe_next(value, fallback)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _messages(result: service.InterestResult) -> str:
    if result.match.is_mutual:
        return _(
            "Mutual match! Both sides are interested. You find the contact details under Mutual matches."
        )
    interest = result.match.interest_of(result.side)
    if interest is True:
        return _("Marked as interested. The other side is told only when they are interested too.")
    if interest is False:
        return _("Marked as not interested. This proposal is no longer shown.")
    return _("Your answer is cleared.")


@bp.get("/")
@login_required
def index():
    per_item = request.args.get("per_item", type=int)
    per_item = per_item if per_item in PER_ITEM_CHOICES else PER_ITEM_CHOICES[0]
    include_declined = request.args.get("declined") == "1"
    organisation = current_user.organisation
    page = service.my_proposals(
        acting_user(),
        current_language(),
        limit=per_item,
        include_declined=include_declined,
        page=request.args.get("page", 1, type=int),
    )
    counterparts = [p.counterpart for group in page.items for p in group.proposals]
    return render_template(
        "matches/index.html",
        organisation=organisation,
        groups=page.items,
        page=page,
        per_item=per_item,
        per_item_choices=PER_ITEM_CHOICES,
        include_declined=include_declined,
        mutual_count=service.mutual_count(acting_user()),
        can_see_overview=service.can_see_overview(acting_user()),
        actions=item_actions.actions_for(acting_user(), counterparts),
    )


def _readable_pair(need_id: int, offering_id: int):
    """The pair and the reader's side: the pair's organisations, or (side None) an organizer reading a public
    pair as the overview shows it; 403 for anybody else. NotFound and other refusals are the caller's."""
    try:
        return service.check_pair(acting_user(), need_id, offering_id)
    except service.NotAllowed:
        if not service.can_see_overview(acting_user()):
            abort(403)
        need, offering = service.load_public_pair(need_id, offering_id)
        return need, offering, None


@bp.get("/<int:need_id>/<int:offering_id>")
@login_required
def pair(need_id: int, offering_id: int):
    """One proposal: both items, the score and the full explanation, and the answers."""
    try:
        need, offering, side = _readable_pair(need_id, offering_id)
    except ServiceError as refusal:  # NotFound goes on to the 404 page
        flash_refused(refusal, "warning")
        return redirect(url_for(".index"))
    view = service.pair_view(need, offering, current_language())
    other = (offering if side == service.BUYER else need) if side else None
    return render_template(
        "matches/pair.html",
        other_actions=item_actions.actions_for_one(acting_user(), other),
        need=need,
        offering=offering,
        side=side,
        view=view,
        form=InterestForm(),
        now=utcnow(),
    )


@bp.get("/<int:need_id>/<int:offering_id>/why")
@login_required
def why(need_id: int, offering_id: int):
    """The explanation of one proposal as an HTML fragment: the proposals page loads it when its reader opens
    "Why this proposal?" (explaining every proposal of a page up front cost more than the rest of the page).
    The same access rules as the proposal's page."""
    try:
        need, offering, _side = _readable_pair(need_id, offering_id)
    except ServiceError:  # missing, hidden, or both the user's organisation's: nothing to explain to it
        abort(404)
    view = service.pair_view(need, offering, current_language())
    return render_template("matches/_why.html", need=need, offering=offering, view=view)


@bp.post("/<int:need_id>/<int:offering_id>/interest")
@login_required
def interest(need_id: int, offering_id: int):
    form = InterestForm()
    fallback = url_for(".index")
    target = _safe_next(form.next.data, fallback)
    if not form.validate():
        message = _("Choose whether you are interested or not.")
        if _wants_json():
            return jsonify(error=message), 400
        flash(message, "danger")
        return redirect(target)
    try:
        result = service.set_interest(acting_user(), need_id, offering_id, form.decision.data)
    except ServiceError as refusal:  # NotFound and NotAllowed go on to the 404 and 403 pages
        message = refused(refusal)
        if _wants_json():
            return jsonify(error=message), 409
        flash(message, "warning")
        return redirect(target)
    message = _messages(result)
    if _wants_json():
        match = result.match
        return jsonify(
            decision=form.decision.data,
            mutual=match.is_mutual,
            their_interest=match.interest_of(
                service.SUPPLIER if result.side == service.BUYER else service.BUYER
            ),
            message=message,
            mutual_url=url_for(".mutual", _anchor=f"match-{match.id}"),
        )
    flash(message, "success")
    return redirect(target)


@bp.get("/mutual")
@login_required
def mutual():
    """The mutual matches, each with what a proposal card offers: where the mutual-match notification leads,
    the pair must be able to talk (issue 15), not only to find an address to mail."""
    rows = service.mutual_rows(acting_user(), current_language())
    actions = item_actions.actions_for(acting_user(), [row.counterpart for row in rows])
    return render_template(
        "matches/mutual.html",
        organisation=current_user.organisation,
        rows=rows,
        actions={row.match.id: _pair_actions(row, actions) for row in rows},
        form=InterestForm(),
    )


def _pair_actions(row: service.MutualRow, actions: dict) -> item_actions.ItemActions | None:
    """The counterpart's actions; once the pair talks, the page opens their conversation instead of
    offering to start one."""
    acts = actions.get(item_actions.key(row.counterpart))
    if acts is not None and row.conversation is not None:
        acts = dataclasses.replace(acts, may_write=False)
    return acts


def _overview_filter() -> tuple[OverviewFilterForm, int | None]:
    language = current_language()
    themes = themes_service.list_themes(active_only=False)
    form = OverviewFilterForm(formdata=request.args)
    form.set_themes(themes, language, _("All themes"))
    theme_id = None
    raw = request.args.get("theme", "")
    if raw:
        if not form.validate() or not raw.isdigit():
            form.theme.errors = [_("Choose one of the themes in the list.")]
        else:
            theme_id = int(raw)
    return form, theme_id


def _organizers_only() -> None:
    if not service.can_see_overview(acting_user()):
        abort(403)


@bp.get("/overview")
@login_required
def overview():
    _organizers_only()
    form, theme_id = _overview_filter()
    page = service.best_pairs_page(
        theme_id=theme_id, page=request.args.get("page", type=int), language=current_language()
    )
    return render_template(
        "matches/overview.html",
        form=form,
        theme_id=theme_id,
        page=page,
        limit=service.OVERVIEW_LIMIT,
        csv_limit=service.CSV_LIMIT,
    )


# The workbook beside the CSV file (xlsxfiles.py). The CSV rule comes last, so it is registered first
# (decorators apply from the bottom) and url_for without fmt builds the .csv address.
@bp.get("/overview.xlsx", defaults={"fmt": "xlsx"})
@bp.get("/overview.csv", defaults={"fmt": "csv"})
@login_required
def overview_csv(fmt: str):
    _organizers_only()
    form, theme_id = _overview_filter()
    if form.theme.errors:
        abort(400)
    rows = service.best_pairs_rows(theme_id=theme_id, language=current_language())
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    suffix = f"-theme-{theme_id}" if theme_id else ""
    return table_response(rows, f"matchmaker-pairs-{stamp}{suffix}.csv", fmt, _("Best pairs"))
