"""Routes of the conversations area: the inbox, a thread, writing to the organisation behind a need or an
offering, blocking and reporting; the administrators' list of reported conversations; public questions on a
need. Routes parse the request and call `services.conversations`; refusals become 403/404 or form errors."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.conversations import bp
from matchmaker.conversations.forms import (
    ActionForm,
    AnswerForm,
    MessageForm,
    QuestionForm,
    QuestionModeForm,
    ReportForm,
    SenderForm,
)
from matchmaker.extensions import db, limiter
from matchmaker.forms import flash_refused, form_refused
from matchmaker.models import Need, Offering, Role
from matchmaker.navigation import unread_badges
from matchmaker.services import Invalid, NotAllowed, NotFound, Refusal, item_actions
from matchmaker.services import catalogue as catalogue_service
from matchmaker.services import conversations as service


def _write_limit() -> str:
    return current_app.config["CONVERSATION_RATE_LIMIT"]


def _user_key() -> str:
    user = acting_user()
    return f"conversations-user:{user.id}" if user is not None else "conversations-anonymous"


def rate_limited(view):
    return limiter.limit(_write_limit, methods=["POST"], key_func=_user_key)(view)


@bp.app_context_processor
def conversation_helpers():
    """`unread_message_count()` for the menu, and what the current user may do about a catalogue item."""

    def unread_message_count() -> int:
        return unread_badges()[1]  # read with the unread notifications' count

    def conversation_options(item) -> dict:
        user = acting_user()
        options = {
            "user": user,
            "why_not": None,
            "start_url": None,
            "public_questions": False,
            "private_conversations": True,
        }
        if user is None or catalogue_service.can_edit(user, item):
            options["own"] = user is not None
            return options
        options["own"] = False
        options["why_not"] = service.why_not_start(user, item)
        if options["why_not"] is None:
            endpoint, key = (
                ("conversations.start_about_need", "need_id")
                if isinstance(item, Need)
                else ("conversations.start_about_offering", "offering_id")
            )
            options["start_url"] = url_for(endpoint, **{key: item.id})
        options["public_questions"] = isinstance(item, Need) and item.public_questions
        options["private_conversations"] = not isinstance(item, Need) or item.private_conversations
        return options

    def need_questions(need) -> dict:
        user = acting_user()
        return {
            "answered": service.answered_questions(need),
            "open": service.open_questions(user, need),
            "why_not_ask": service.why_not_ask(user, need) if user is not None else None,
            "owner": user is not None and catalogue_service.can_edit(user, need),
            "question_form": QuestionForm(),
            "answer_form": AnswerForm(),
            "mode_form": QuestionModeForm(data={"mode": service.question_mode(need)}),
        }

    return {
        "unread_message_count": unread_message_count,
        "conversation_options": conversation_options,
        "need_questions": need_questions,
        "equal_treatment_reason": service.equal_treatment_reason,
    }


@bp.get("/")
@login_required
def index():
    return render_template("conversations/index.html", threads=service.threads_of(acting_user()))


def _start(item):
    if not catalogue_service.can_view(acting_user(), item):
        raise NotFound(_("This item does not exist or is not public."))
    form = MessageForm()
    why_not = service.why_not_start(acting_user(), item)
    if why_not is None and form.validate_on_submit():
        try:
            conversation = service.start_conversation(acting_user(), item, form.body.data)
        except Invalid as refusal:
            form_refused(form, refusal)
        except Refusal as refusal:
            if isinstance(refusal, NotFound):
                raise
            form_refused(form, refusal)
        else:
            flash(_("Your message is sent."), "success")
            return redirect(url_for(".thread", conversation_id=conversation.id))
    status = 422 if form.is_submitted() else 200
    return render_template("conversations/start.html", item=item, form=form, why_not=why_not), status


@bp.route("/new/need/<int:need_id>", methods=["GET", "POST"])
@login_required
@rate_limited
def start_about_need(need_id: int):
    return _start(db.get_or_404(Need, need_id))


@bp.route("/new/offering/<int:offering_id>", methods=["GET", "POST"])
@login_required
@rate_limited
def start_about_offering(offering_id: int):
    return _start(db.get_or_404(Offering, offering_id))


def _render_thread(conversation, form=None, report_form=None, status=200):
    user = acting_user()
    participant = user.organisation is not None and user.organisation.id in (
        conversation.starter_organisation_id,
        conversation.recipient_organisation_id,
    )
    own = user.organisation.id if participant else None
    other = conversation.other_organisation(own) if participant else None
    # "Request a meeting" about the conversation's subject, when both take part in an event that takes
    # requests (the request then records the subject, as from the item's page).
    meeting = (
        item_actions.meeting_targets(user, {other.id}).get(other.id)
        if participant and catalogue_service.can_view(user, conversation.subject)
        else None
    )
    return render_template(
        "conversations/thread.html",
        conversation=conversation,
        participant=participant,
        own_organisation_id=own,
        other=other,
        meeting=meeting,
        form=form or MessageForm(),
        report_form=report_form or ReportForm(),
        action_form=ActionForm(),
        senders=service.blockable_senders(user, conversation),
        reports=service.reports_of(conversation) if user.has_role(Role.ADMIN) else [],
    ), status


@bp.get("/<int:conversation_id>")
@login_required
def thread(conversation_id: int):
    conversation = service.get_conversation(acting_user(), conversation_id)
    response = _render_thread(conversation)
    service.mark_read(acting_user(), conversation)
    return response


@bp.post("/<int:conversation_id>/reply")
@login_required
@rate_limited
def reply(conversation_id: int):
    conversation = service.get_conversation(acting_user(), conversation_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            service.reply(acting_user(), conversation, form.body.data)
        except NotAllowed as refusal:
            flash_refused(refusal)
            return redirect(url_for(".thread", conversation_id=conversation.id))
        except Refusal as refusal:
            if isinstance(refusal, NotFound):
                raise
            form_refused(form, refusal)
        else:
            flash(_("Your message is sent."), "success")
            return redirect(url_for(".thread", conversation_id=conversation.id, _anchor="latest"))
    return _render_thread(conversation, form=form, status=422)


def _sender_action(conversation_id: int, action, done_message):
    conversation = service.get_conversation(acting_user(), conversation_id)
    form = SenderForm()
    if form.validate_on_submit():
        try:
            sender = action(acting_user(), conversation, form.sender_id.data)
        except NotFound:
            raise
        except Refusal as refusal:
            flash_refused(refusal)
        else:
            flash(done_message(sender), "success")
    return redirect(url_for(".thread", conversation_id=conversation.id))


@bp.post("/<int:conversation_id>/block")
@login_required
def block(conversation_id: int):
    return _sender_action(
        conversation_id,
        service.block_sender,
        lambda sender: _(
            "%(name)s can no longer write to your organisation. You can undo this here.",
            name=sender.display_name,
        ),
    )


@bp.post("/<int:conversation_id>/unblock")
@login_required
def unblock(conversation_id: int):
    return _sender_action(
        conversation_id,
        service.unblock_sender,
        lambda sender: _("%(name)s can write to your organisation again.", name=sender.display_name),
    )


@bp.post("/<int:conversation_id>/report")
@login_required
@rate_limited
def report(conversation_id: int):
    conversation = service.get_conversation(acting_user(), conversation_id)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            service.report_conversation(acting_user(), conversation, form.reason.data)
        except NotFound:
            raise
        except Refusal as refusal:
            form_refused(form, refusal)
        else:
            flash(_("Thank you. The administrators will look at this conversation."), "success")
            return redirect(url_for(".thread", conversation_id=conversation.id))
    return _render_thread(conversation, report_form=form, status=422)


@bp.get("/reported")
@login_required
def reported():
    return render_template("conversations/reported.html", rows=service.reported_conversations(acting_user()))


@bp.post("/<int:conversation_id>/handled")
@login_required
def handled(conversation_id: int):
    if not acting_user().has_role(Role.ADMIN):
        raise NotFound(_("This conversation does not exist or is not yours."))
    conversation = service.get_conversation(acting_user(), conversation_id)
    if ActionForm().validate_on_submit():
        service.mark_reports_handled(acting_user(), conversation)
        flash(_("The reports are marked as handled."), "success")
    return redirect(url_for(".reported"))


# --- public questions on a need -------------------------------------------------------------------------


def _need_url(need: Need) -> str:
    return url_for("catalogue.need", need_id=need.id, _anchor="questions")


@bp.post("/needs/<int:need_id>/questions")
@login_required
@rate_limited
def ask(need_id: int):
    need = db.get_or_404(Need, need_id)
    if not catalogue_service.can_view(acting_user(), need):
        raise NotFound(_("This item does not exist or is not public."))
    why_not = service.why_not_ask(acting_user(), need)
    if why_not is not None:
        # Said on the need's page, not as a bare 403: the buyer may have changed how questions are asked
        # since the page was loaded.
        flash(why_not, "warning")
        return redirect(_need_url(need))
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            service.ask_question(acting_user(), need, form.body.data)
        except Refusal as refusal:
            flash_refused(refusal)
        else:
            flash(
                _("Your question is sent. Its answer will be shown on this page, without your name."),
                "success",
            )
    else:
        for errors in form.errors.values():
            flash(" ".join(str(error) for error in errors), "danger")
    return redirect(_need_url(need))


@bp.post("/needs/<int:need_id>/questions/mode")
@login_required
def question_mode(need_id: int):
    need = db.get_or_404(Need, need_id)
    if not catalogue_service.can_edit(acting_user(), need):
        raise NotFound(_("This item does not exist or is not yours."))
    form = QuestionModeForm()
    if form.validate_on_submit():
        try:
            service.set_question_mode(acting_user(), need, form.mode.data)
        except Refusal as refusal:
            flash_refused(refusal)
        else:
            flash(
                {
                    "public": _("Questions about this need are now answered publicly."),
                    "private": _("Market players can now write to you privately about this need."),
                    "both": _(
                        "Questions about this need are now answered publicly, and market players may also "
                        "write to you privately."
                    ),
                }[form.mode.data],
                "success",
            )
    else:
        for errors in form.errors.values():
            flash(" ".join(str(error) for error in errors), "danger")
    return redirect(_need_url(need))


@bp.post("/questions/<int:question_id>/answer")
@login_required
@rate_limited
def answer(question_id: int):
    question = service.get_question(acting_user(), question_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            service.answer_question(acting_user(), question, form.body.data)
        except NotFound:
            raise
        except Refusal as refusal:
            flash_refused(refusal)
        else:
            flash(_("Your answer is published on the need's page."), "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(str(error) for error in errors), "danger")
    return redirect(_need_url(question.need))
