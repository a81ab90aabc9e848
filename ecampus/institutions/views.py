"""Manager pages: cohorts, their courses and learners, CSV imports and reports.

Every cohort page starts with `_cohort`, so another institution's cohort is a 404 whatever
the page, the method or the id in the address.
"""

from __future__ import annotations

from dataclasses import replace

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..i18n import ngettext
from ..requests import page_arg
from ..security import require_valid_form, roles_required
from ..timeutil import utcnow
from . import imports, invitations, reports, services
from .csvfile import FileRejected
from .forms import ActionForm, AssignCourseForm, CohortForm, ImportForm, MemberForm

bp = Blueprint("institutions", __name__, url_prefix="/institutions", template_folder="templates")

PREVIEW_PAGE_SIZE = 100
PREVIEW_SHOWS = ("all", imports.INVITE, imports.ENROL, imports.INVITED, imports.MEMBER)


def _cohort(cohort_id: int):
    try:
        return services.cohort_for(current_user, cohort_id)
    except services.NotFound:
        abort(404)


def _language() -> str:
    return str(get_locale())


def _course_choices() -> list[tuple[int, str]]:
    language = _language()
    return [(c.id, _("%(title)s (invitation only)", title=c.text(language).title)
             if c.enrolment == "invite" else c.text(language).title)
            for c in services.assignable_courses()]


@bp.route("/")
@roles_required("manager")
def index():
    return _index_page(CohortForm(formdata=None))


def _index_page(form: CohortForm, status: int = 200):
    institution_id = services.managed_institution_id(current_user)
    institution = services.get_institution(institution_id) if institution_id else None
    return render_template("institutions/index.html", cohorts=services.cohorts_of(current_user),
                           institution=institution, form=form), status


@bp.route("/cohorts", methods=["POST"])
@roles_required("manager")
def create_cohort():
    institution_id = services.managed_institution_id(current_user)
    if institution_id is None:
        abort(403)
    form = CohortForm()
    if not form.validate_on_submit():
        return _index_page(form, 400)
    cohort = services.create_cohort(institution_id, form.name.data, form.description.data or "",
                                    current_user.id)
    flash(_("The cohort %(name)s is created. Assign courses, then add learners.",
            name=cohort.name), "success")
    return redirect(url_for("institutions.cohort", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>")
@roles_required("manager")
def cohort(cohort_id: int):
    return _cohort_page(_cohort(cohort_id))


def _cohort_page(cohort, *, course_form=None, member_form=None, status: int = 200):
    query = request.args.get("q", "")
    page = page_arg()
    members, total = services.members_page(cohort.id, query, page)
    invited_page = page_arg("invited_page")
    invited, invited_total = invitations.invited_page(cohort.id, query, invited_page)
    if course_form is None:
        course_form = AssignCourseForm(formdata=None)
        course_form.course.choices = _course_choices()
    return render_template(
        "institutions/cohort.html", cohort=cohort, courses=services.cohort_courses(cohort.id),
        members=members, total=total, query=query, page=page,
        page_size=services.MEMBERS_PAGE_SIZE, invited=invited, invited_total=invited_total,
        invited_page=invited_page, invited_page_size=invitations.INVITED_PAGE_SIZE,
        now=utcnow(), course_form=course_form,
        member_form=member_form or MemberForm(formdata=None), language=_language(),
    ), status


@bp.route("/cohorts/<int:cohort_id>/courses", methods=["POST"])
@roles_required("manager")
def assign_course(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = AssignCourseForm()
    form.course.choices = _course_choices()
    if not form.validate_on_submit():
        return _cohort_page(cohort, course_form=form, status=400)
    try:
        course, new = services.assign_course(cohort, form.course.data, form.due_on.data)
    except services.CohortError as error:
        flash(str(error), "error")
    else:
        title = course.text(_language()).title
        flash(_("%(course)s is assigned: every learner of the cohort is enrolled.",
                course=title) if new else _("The due date of %(course)s is updated.",
                                            course=title), "success")
    return redirect(url_for("institutions.cohort", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/courses/<int:course_id>/remove", methods=["POST"])
@roles_required("manager")
def unassign_course(cohort_id: int, course_id: int):
    cohort = _cohort(cohort_id)
    try:
        services.unassign_course(cohort, course_id)
    except services.NotFound:
        abort(404)
    flash(_("The course is no longer assigned. Learners stay enrolled and keep their "
            "progress."), "success")
    return redirect(url_for("institutions.cohort", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/members", methods=["POST"])
@roles_required("manager")
def add_member(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = MemberForm()
    if not form.validate_on_submit():
        return _cohort_page(cohort, member_form=form, status=400)
    try:
        action = services.add_member(
            cohort, email=form.email.data, full_name=form.full_name.data or "",
            language=form.language.data or "", external_id=form.external_id.data or "",
            default_language=_language())
    except services.CohortError as error:
        form.email.errors.append(str(error))
        return _cohort_page(cohort, member_form=form, status=400)
    # The same words for a new address and for an account outside the institution.
    flash({
        "invite": _("An invitation to join the cohort is sent to %(email)s."),
        "enrol": _("%(email)s, a member of your institution, is added to the cohort and "
                   "enrolled in its courses."),
        "reminded": _("%(email)s was already invited to the cohort: the invitation is sent "
                      "again."),
        "invited": _("%(email)s was already invited to the cohort a moment ago: no second "
                     "email is sent."),
        "member": _("%(email)s is already in the cohort: nothing changed."),
    }[action] % {"email": form.email.data.strip().lower()}, "success")
    return redirect(url_for("institutions.cohort", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/members/<int:user_id>/remove", methods=["POST"])
@roles_required("manager")
def remove_member(cohort_id: int, user_id: int):
    cohort = _cohort(cohort_id)
    try:
        services.remove_member(cohort, user_id)
    except services.NotFound:
        abort(404)
    flash(_("The learner is no longer in the cohort. Their enrolments and progress are kept."),
          "success")
    return redirect(url_for("institutions.cohort", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/invitations/<int:invitation_id>/resend", methods=["POST"])
@roles_required("manager")
def resend_invitation(cohort_id: int, invitation_id: int):
    cohort = _cohort(cohort_id)
    require_valid_form()
    try:
        email = invitations.resend(cohort, invitation_id)
    except invitations.InvitationError as error:
        if error.status == 404:
            abort(404)
        flash(str(error), "error")
    else:
        flash(_("The invitation is sent again to %(email)s, with a new link.", email=email),
              "success")
    return redirect(url_for("institutions.cohort", cohort_id=cohort.id, _anchor="invited"))


@bp.route("/cohorts/<int:cohort_id>/invitations/<int:invitation_id>/cancel", methods=["POST"])
@roles_required("manager")
def cancel_invitation(cohort_id: int, invitation_id: int):
    cohort = _cohort(cohort_id)
    require_valid_form()
    try:
        invitations.cancel(cohort, invitation_id)
    except invitations.InvitationError:
        abort(404)
    flash(_("The invitation is withdrawn: its link no longer works."), "success")
    return redirect(url_for("institutions.cohort", cohort_id=cohort.id, _anchor="invited"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@login_required
def invitation(token: str):
    """The invited person's page: accept or decline, signed in as the invited account."""
    try:
        invited = invitations.read(token, current_user, _language())
    except invitations.InvitationError as error:
        return render_template("institutions/invitation.html", error=str(error)), error.status
    if request.method == "GET":
        return render_template("institutions/invitation.html", invitation=invited,
                               form=ActionForm(formdata=None))
    require_valid_form()
    answer = request.form.get("answer")
    if answer not in ("accept", "decline"):
        abort(400)
    try:
        if answer == "accept":
            joined = invitations.accept(token, current_user)
            flash(_("You have joined %(cohort)s of %(institution)s. Its courses are on your "
                    "learning page.", cohort=joined.name, institution=invited.institution),
                  "success")
        else:
            invitations.decline(token, current_user)
            flash(_("You declined the invitation of %(institution)s. Nothing else has "
                    "changed.", institution=invited.institution), "success")
    except invitations.InvitationError as error:
        flash(str(error), "error")
    return redirect(url_for("learning.dashboard"))


@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@roles_required("manager")
def upload(cohort_id: int):
    cohort = _cohort(cohort_id)
    limit = current_app.config["IMPORT_MAX_BYTES"]
    form = ImportForm()
    status = 200
    if form.validate_on_submit():
        upload_file = form.file.data
        try:
            record = imports.preview_import(
                cohort, upload_file.stream.read(limit + 1),
                filename=upload_file.filename or "", encoding=form.encoding.data,
                created_by=current_user.id, default_language=_language())
        except FileRejected as rejected:
            form.file.errors.append(rejected.problem.message)
        else:
            return redirect(url_for("institutions.preview", cohort_id=cohort.id,
                                    import_id=record.id))
    if form.errors:
        status = 400
    return render_template("institutions/import.html", cohort=cohort, form=form), status


@bp.route("/cohorts/<int:cohort_id>/imports/<int:import_id>")
@roles_required("manager")
def preview(cohort_id: int, import_id: int):
    cohort = _cohort(cohort_id)
    try:
        result = imports.load_preview(cohort, import_id)
    except services.NotFound:
        abort(404)
    show = request.args.get("show", "all")
    show = show if show in PREVIEW_SHOWS else "all"
    page = page_arg()
    lines = [line for line in result.lines if show == "all" or line.action == show]
    first = (page - 1) * PREVIEW_PAGE_SIZE
    return render_template(
        "institutions/preview.html", cohort=cohort, preview=result, show=show, page=page,
        lines=lines[first:first + PREVIEW_PAGE_SIZE], matching=len(lines),
        pages=max(1, -(-len(lines) // PREVIEW_PAGE_SIZE)), form=ActionForm(formdata=None))


@bp.route("/cohorts/<int:cohort_id>/imports/<int:import_id>/confirm", methods=["POST"])
@roles_required("manager")
def confirm(cohort_id: int, import_id: int):
    cohort = _cohort(cohort_id)
    try:
        outcome = imports.apply_import(cohort, import_id)
    except services.NotFound:
        abort(404)
    except imports.ImportBlocked as error:
        flash(str(error), "error")
        return redirect(url_for("institutions.preview", cohort_id=cohort.id,
                                import_id=import_id))
    flash(" ".join([
        ngettext("%(num)s person invited.", "%(num)s people invited.", outcome.invited),
        ngettext("%(num)s member of your institution enrolled.",
                 "%(num)s members of your institution enrolled.", outcome.enrolled),
        ngettext("%(num)s person was already invited.", "%(num)s people were already invited.",
                 outcome.already_invited),
        ngettext("%(num)s row changed nothing.", "%(num)s rows changed nothing.",
                 outcome.unchanged),
    ]), "success")
    return redirect(url_for("institutions.cohort", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/report")
@roles_required("manager")
def report(cohort_id: int):
    cohort = _cohort(cohort_id)
    options = replace(reports.parse_options(request.args), page=page_arg())
    result = reports.cohort_report(cohort.id, options, language=_language(),
                                   today=utcnow().date())

    def report_url(endpoint: str = "institutions.report", **changes) -> str:
        values = {"sort": options.sort, "order": "desc" if options.descending else "asc",
                  "show": options.show, "course": options.course_id, "q": options.query,
                  "page": options.page}
        values.update(changes)
        defaults = {"sort": "name", "order": "asc", "show": "all", "course": None, "q": "",
                    "page": 1}
        values = {k: v for k, v in values.items() if v != defaults[k]}
        return url_for(endpoint, cohort_id=cohort.id, **values)

    return render_template("institutions/report.html", cohort=cohort, report=result,
                           options=options, report_url=report_url,
                           invited_total=invitations.invited_count(cohort.id))


@bp.route("/cohorts/<int:cohort_id>/report.csv")
@roles_required("manager")
def export(cohort_id: int):
    cohort = _cohort(cohort_id)
    today = utcnow().date()
    # Streamed: the lines are read from a server-side cursor while the response is sent.
    pieces = reports.export_csv(cohort.id, reports.parse_options(request.args),
                                language=_language(), today=today)
    filename = f"cohort-{cohort.id}-report-{today.isoformat()}.csv"
    return Response(pieces, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
