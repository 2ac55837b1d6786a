"""Routes of the 3%-norm tracker: public dashboards (Flemish government, policy domain, organisation) with
CSV exports, and the pages where an organisation's administrators enter their figures.

Access: every dashboard is public (policy figures). Only government organisations have one (404 otherwise).
Editing needs the organisation's administrator role (403 for anyone else, logged in or not: login first).
"""

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_currency, format_percent
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker.auth.sessions import acting_user
from matchmaker.extensions import db
from matchmaker.forms import flash_refused, form_refused
from matchmaker.i18n import current_language
from matchmaker.models import InnovationProject, Organisation, PolicyDomain, ProcurementYear
from matchmaker.services import ServiceError
from matchmaker.services import charter as charter_service
from matchmaker.services import outcomes as outcomes_service
from matchmaker.services import tracker as tracker_service
from matchmaker.tracker import bp
from matchmaker.tracker.forms import ActionForm, BudgetForm, ProjectForm, YearForm
from matchmaker.vocab import POLICY_DOMAINS, label
from matchmaker.xlsxfiles import table_response

# --- template helpers --------------------------------------------------------------------------------------


@bp.app_template_filter("tracker_euro")
def euro_filter(cents: int | None) -> str:
    if cents is None:
        return "–"
    return format_currency(tracker_service.euros(cents), "EUR")


@bp.app_template_filter("tracker_percent")
def percent_filter(value: Decimal | None, places: int = 2) -> str:
    """A percentage (2.91 means 2.91%) in the reader's language; '–' when unknown."""
    if value is None:
        return "–"
    pattern = "#,##0." + "0" * places + "%" if places else "#,##0%"
    return format_percent(Decimal(value) / 100, pattern)


@bp.app_template_global("tracker_latest_overall")
def latest_overall():
    """The Flemish government's latest share against 3%, for the home page."""
    return tracker_service.latest_overall()


def _chart(dashboard):
    return tracker_service.build_chart(
        dashboard.rows,
        lambda p: percent_filter(p, 2),
        format_tick=lambda p: percent_filter(p, 0 if p % 1 == 0 else 1),
    )


def _domain_label(code: str | None) -> str:
    return label(POLICY_DOMAINS, code)


def _organisation(organisation_id: int) -> Organisation:
    organisation = db.get_or_404(Organisation, organisation_id)
    if not tracker_service.is_tracked(organisation):
        abort(404)
    return organisation


def _editable(organisation_id: int) -> Organisation:
    organisation = _organisation(organisation_id)
    if not tracker_service.can_edit(acting_user(), organisation):
        abort(403)
    return organisation


def _year(organisation: Organisation, year: int) -> ProcurementYear:
    row = tracker_service.get_year(organisation, year)
    if row is None:
        abort(404)
    return row


def _project(row: ProcurementYear, project_id: int) -> InnovationProject:
    project = db.session.get(InnovationProject, project_id)
    if project is None or project.procurement_year_id != row.id:
        abort(404)
    return project


def _domain(code: str) -> str:
    try:
        return PolicyDomain(code).value
    except ValueError:
        abort(404)


# --- dashboards --------------------------------------------------------------------------------------------


@bp.get("/")
def index():
    dashboard = tracker_service.overall_dashboard(label_of=_domain_label)
    return render_template(
        "tracker/index.html",
        dashboard=dashboard,
        chart=_chart(dashboard),
        organisations=tracker_service.reporting_organisations(),
        domains=[(code, _domain_label(code)) for code in tracker_service.domain_codes()],
        my_organisation=_my_trackable_organisation(),
        waiting=_my_organisation_waiting(),
    )


def _my_organisation_waiting() -> Organisation | None:
    """The reader's government organisation when it is not verified (yet): its figures wait for that."""
    organisation = current_user.organisation if current_user.is_authenticated else None
    if organisation is not None and organisation.is_government and not organisation.is_verified:
        return organisation
    return None


def _my_trackable_organisation() -> Organisation | None:
    organisation = current_user.organisation if current_user.is_authenticated else None
    if organisation is not None and tracker_service.can_edit(acting_user(), organisation):
        return organisation
    return None


# The workbook beside the CSV file (xlsxfiles.py). The CSV rule comes last, so it is registered first
# (decorators apply from the bottom) and url_for without fmt builds the .csv address.
@bp.get("/export.xlsx", defaults={"fmt": "xlsx"})
@bp.get("/export.csv", defaults={"fmt": "csv"})
def export_overall(fmt: str):
    dashboard = tracker_service.overall_dashboard(label_of=_domain_label)
    rows = tracker_service.dashboard_rows(dashboard)
    return table_response(rows, "3-percent-norm-flemish-government.csv", fmt, _("3% norm"))


@bp.get("/domains/<code>")
def domain(code: str):
    code = _domain(code)
    dashboard = tracker_service.domain_dashboard(code)
    return render_template(
        "tracker/domain.html",
        dashboard=dashboard,
        chart=_chart(dashboard),
        domain_label=_domain_label(code),
        organisations=tracker_service.domain_organisations(code),
    )


@bp.get("/domains/<code>/export.xlsx", defaults={"fmt": "xlsx"})
@bp.get("/domains/<code>/export.csv", defaults={"fmt": "csv"})
def export_domain(code: str, fmt: str):
    code = _domain(code)
    dashboard = tracker_service.domain_dashboard(code)
    rows = tracker_service.dashboard_rows(dashboard)
    return table_response(rows, f"3-percent-norm-{code}.csv", fmt, _("3% norm"))


@bp.get("/organisations/<int:organisation_id>")
def organisation(organisation_id: int):
    organisation = _organisation(organisation_id)
    dashboard = tracker_service.organisation_dashboard(organisation)
    return render_template(
        "tracker/organisation.html",
        organisation=organisation,
        dashboard=dashboard,
        chart=_chart(dashboard),
        years=list(reversed(tracker_service.years_of(organisation))),
        begun=outcomes_service.begun_for_organisation(organisation.id),
        can_edit=tracker_service.can_edit(acting_user(), organisation),
        domain_label=_domain_label(organisation.policy_domain),
        signature=charter_service.active_signature(organisation),
    )


@bp.get("/organisations/<int:organisation_id>/export.xlsx", defaults={"fmt": "xlsx"})
@bp.get("/organisations/<int:organisation_id>/export.csv", defaults={"fmt": "csv"})
def export_organisation(organisation_id: int, fmt: str):
    organisation = _organisation(organisation_id)
    dashboard = tracker_service.organisation_dashboard(organisation)
    return table_response(
        tracker_service.dashboard_rows(dashboard),
        f"3-percent-norm-{organisation.name}-{organisation.id}.csv",  # safe_filename keeps it ASCII
        fmt,
        _("3% norm"),
    )


# --- editing -----------------------------------------------------------------------------------------------


@bp.route("/organisations/<int:organisation_id>/years/new", methods=["GET", "POST"])
@login_required
def new_year(organisation_id: int):
    organisation = _editable(organisation_id)
    form = YearForm()
    if request.method == "GET" and form.year.data is None:
        years = [row.year for row in tracker_service.years_of(organisation)]
        form.year.data = (max(years) + 1) if years else outcomes_service.today().year
    if form.validate_on_submit():
        try:
            row = tracker_service.create_year(acting_user(), organisation, form.year.data, form.budget.cents)
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(
                _("The figures of %(year)s are saved. Now add the projects that count.", year=row.year),
                "success",
            )
            return redirect(url_for(".year", organisation_id=organisation.id, year=row.year))
    status = 422 if form.is_submitted() else 200
    return render_template("tracker/year_new.html", organisation=organisation, form=form), status


def _year_page(organisation, row, budget_form=None, status=200):
    if budget_form is None:
        budget_form = BudgetForm(formdata=None)
        budget_form.budget.data = tracker_service.euro_input(row.budget_cents, current_language())
        budget_form.explanation.data = row.explanation
    return (
        render_template(
            "tracker/year.html",
            organisation=organisation,
            row=row,
            budget_form=budget_form,
            action_form=ActionForm(),
            share=tracker_service.percent(tracker_service.share_of(row.spend_cents, row.budget_cents)),
        ),
        status,
    )


@bp.route("/organisations/<int:organisation_id>/years/<int:year>", methods=["GET", "POST"])
@login_required
def year(organisation_id: int, year: int):
    organisation = _editable(organisation_id)
    row = _year(organisation, year)
    if request.method == "GET":
        return _year_page(organisation, row)
    form = BudgetForm()
    if form.validate_on_submit():
        try:
            tracker_service.update_budget(acting_user(), row, form.budget.cents, form.explanation.data or "")
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The budget of %(year)s is saved.", year=row.year), "success")
            return redirect(url_for(".year", organisation_id=organisation.id, year=row.year))
    return _year_page(organisation, row, budget_form=form, status=422)


@bp.post("/organisations/<int:organisation_id>/years/<int:year>/delete")
@login_required
def delete_year(organisation_id: int, year: int):
    organisation = _editable(organisation_id)
    row = _year(organisation, year)
    if ActionForm().validate_on_submit():
        try:
            tracker_service.delete_year(acting_user(), row)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(_("The figures of %(year)s are deleted.", year=year), "success")
    return redirect(url_for(".organisation", organisation_id=organisation.id))


def _project_form(organisation, row, project=None) -> ProjectForm:
    form = ProjectForm()
    form.set_need_choices(tracker_service.eligible_needs(organisation))
    if request.method == "GET":
        form.explanation.data = row.explanation
        if project is not None:
            form.title.data = project.title
            form.procurement_route.data = project.procurement_route
            form.amount.data = tracker_service.euro_input(project.amount_cents, current_language())
            form.need_id.data = str(project.need_id) if project.need_id else ""
            form.note.data = project.note
        else:
            form.procurement_route.data = "public_procurement_of_innovation"
    return form


@bp.route("/organisations/<int:organisation_id>/years/<int:year>/projects/new", methods=["GET", "POST"])
@login_required
def new_project(organisation_id: int, year: int):
    organisation = _editable(organisation_id)
    row = _year(organisation, year)
    form = _project_form(organisation, row)
    if form.validate_on_submit():
        try:
            tracker_service.add_project(acting_user(), row, form.to_input())
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The project is added to %(year)s.", year=row.year), "success")
            return redirect(url_for(".year", organisation_id=organisation.id, year=row.year))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "tracker/project_form.html", organisation=organisation, row=row, form=form, project=None
    ), status


@bp.route(
    "/organisations/<int:organisation_id>/years/<int:year>/projects/<int:project_id>/edit",
    methods=["GET", "POST"],
)
@login_required
def edit_project(organisation_id: int, year: int, project_id: int):
    organisation = _editable(organisation_id)
    row = _year(organisation, year)
    project = _project(row, project_id)
    form = _project_form(organisation, row, project)
    if form.validate_on_submit():
        try:
            tracker_service.update_project(acting_user(), project, form.to_input())
        except ServiceError as refusal:
            form_refused(form, refusal)
        else:
            flash(_("The project is saved."), "success")
            return redirect(url_for(".year", organisation_id=organisation.id, year=row.year))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "tracker/project_form.html", organisation=organisation, row=row, form=form, project=project
    ), status


@bp.post("/organisations/<int:organisation_id>/years/<int:year>/projects/<int:project_id>/delete")
@login_required
def delete_project(organisation_id: int, year: int, project_id: int):
    organisation = _editable(organisation_id)
    row = _year(organisation, year)
    project = _project(row, project_id)
    if ActionForm().validate_on_submit():
        try:
            tracker_service.delete_project(acting_user(), project)
        except ServiceError as refusal:
            flash_refused(refusal)
        else:
            flash(_("The project is deleted."), "success")
    return redirect(url_for(".year", organisation_id=organisation.id, year=row.year))
