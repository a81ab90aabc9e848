"""Admin pages: institutions, who manages them, and cohorts created on their behalf."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..security import roles_required
from . import services
from .forms import CohortForm, InstitutionForm, ManagerForm

#: Admin pages: /institutions/admin/...
bp = Blueprint("institutions_admin", __name__, url_prefix="/institutions/admin",
               template_folder="templates")


@bp.route("/", methods=["GET", "POST"])
@roles_required("admin")
def admin_index():
    form = InstitutionForm()
    status = 200
    if form.validate_on_submit():
        try:
            institution = services.create_institution(form.name.data,
                                                      form.description.data or "")
        except services.CohortError as error:
            form.name.errors.append(str(error))
        else:
            flash(_("%(name)s is created. Now make someone its manager.",
                    name=institution.name), "success")
            return redirect(url_for("institutions_admin.admin_institution",
                                    institution_id=institution.id))
    if form.errors:
        status = 400
    return render_template("institutions/admin_index.html", form=form,
                           institutions=services.list_institutions()), status


def _institution(institution_id: int):
    try:
        return services.get_institution(institution_id)
    except services.NotFound:
        abort(404)


@bp.route("/<int:institution_id>")
@roles_required("admin")
def admin_institution(institution_id: int):
    return _institution_page(_institution(institution_id))


def _institution_page(institution, *, manager_form=None, cohort_form=None, status: int = 200):
    return render_template(
        "institutions/admin_institution.html", institution=institution,
        managers=services.managers_of(institution.id),
        cohorts=services.cohorts_of(current_user, institution.id),
        manager_form=manager_form or ManagerForm(formdata=None),
        cohort_form=cohort_form or CohortForm(formdata=None)), status


@bp.route("/<int:institution_id>/managers", methods=["POST"])
@roles_required("admin")
def add_manager(institution_id: int):
    institution = _institution(institution_id)
    form = ManagerForm()
    if form.validate_on_submit():
        try:
            user = services.make_manager(institution.id, form.email.data)
        except services.CohortError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("%(name)s now manages %(institution)s.", name=user.full_name,
                    institution=institution.name), "success")
            return redirect(url_for("institutions_admin.admin_institution",
                                    institution_id=institution.id))
    return _institution_page(institution, manager_form=form, status=400)


@bp.route("/<int:institution_id>/managers/<int:user_id>/remove", methods=["POST"])
@roles_required("admin")
def remove_manager(institution_id: int, user_id: int):
    institution = _institution(institution_id)
    try:
        services.remove_manager(institution.id, user_id)
    except services.NotFound:
        abort(404)
    flash(_("This person no longer manages %(institution)s.", institution=institution.name),
          "success")
    return redirect(url_for("institutions_admin.admin_institution", institution_id=institution.id))


@bp.route("/<int:institution_id>/cohorts", methods=["POST"])
@roles_required("admin")
def admin_create_cohort(institution_id: int):
    institution = _institution(institution_id)
    form = CohortForm()
    if not form.validate_on_submit():
        return _institution_page(institution, cohort_form=form, status=400)
    cohort = services.create_cohort(institution.id, form.name.data, form.description.data or "",
                                    current_user.id)
    flash(_("The cohort %(name)s is created. Assign courses, then add learners.",
            name=cohort.name), "success")
    return redirect(url_for("institutions.cohort", cohort_id=cohort.id))
