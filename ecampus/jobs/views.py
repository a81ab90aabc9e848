"""The admins' view of the job queue: failed and stuck jobs, to retry or discard."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..security import require_valid_form, roles_required
from . import services

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs", template_folder="templates")


@bp.route("/")
@roles_required("admin")
def admin_index():
    return render_template("jobs/admin.html", jobs=services.jobs_needing_attention(),
                           counts=services.queue_counts())


@bp.route("/<int:job_id>/retry", methods=["POST"])
@roles_required("admin")
def retry(job_id: int):
    require_valid_form()
    try:
        services.retry_job(job_id)
    except services.JobError as error:
        flash(str(error), "error")
    else:
        flash(_("Job %(id)d is queued again.", id=job_id), "success")
    return redirect(url_for("jobs.admin_index"))


@bp.route("/<int:job_id>/discard", methods=["POST"])
@roles_required("admin")
def discard(job_id: int):
    require_valid_form()
    try:
        services.discard_job(job_id)
    except services.JobError as error:
        flash(str(error), "error")
    else:
        flash(_("Job %(id)d is discarded.", id=job_id), "success")
    return redirect(url_for("jobs.admin_index"))
