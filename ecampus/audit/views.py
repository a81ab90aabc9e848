"""The audit log's pages: the whole log for admins, one institution's activity for its
managers; each with its CSV export of the filtered entries.

The blueprint is imported from here by features.py, not re-exported by the package: every
feature imports `ecampus.audit.record`, while these pages read across features.
"""

from __future__ import annotations

import csv
import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..institutions import services as institutions
from ..institutions.csvfile import neutralise
from ..requests import id_arg
from ..security import roles_required
from ..timeutil import utcnow
from . import browse
from .actions import ACTION_LABELS

bp = Blueprint("audit", __name__, template_folder="templates")


@bp.route("/admin/audit/")
@roles_required("admin")
def admin_index():
    filters, bad = browse.parse_filters(request.args)
    return _log_page(filters, bad, scope=None, institution=None)


@bp.route("/admin/audit/export.csv")
@roles_required("admin")
def admin_export():
    filters, _bad = browse.parse_filters(request.args)
    return _export(filters, scope=None, name="audit-log")


def _institution(institution_id: int):
    """The institution, if the reader may see its activity: an admin, or its manager."""
    if not current_user.has_role("admin") and (
            institutions.managed_institution_id(current_user) != institution_id):
        abort(404)
    try:
        return institutions.get_institution(institution_id)
    except institutions.NotFound:
        abort(404)


@bp.route("/institutions/<int:institution_id>/activity")
@roles_required("manager")
def activity(institution_id: int):
    institution = _institution(institution_id)
    filters, bad = browse.parse_filters(request.args, institution_id=institution.id)
    # A manager filters by action and date: names are searched in the admins' log only.
    filters = browse.Filters(action=filters.action, since=filters.since, until=filters.until,
                             institution_id=institution.id)
    return _log_page(filters, bad, scope=institution.id, institution=institution)


@bp.route("/institutions/<int:institution_id>/activity.csv")
@roles_required("manager")
def activity_export(institution_id: int):
    institution = _institution(institution_id)
    filters, _bad = browse.parse_filters(request.args, institution_id=institution.id)
    filters = browse.Filters(action=filters.action, since=filters.since, until=filters.until,
                             institution_id=institution.id)
    return _export(filters, scope=institution.id, name=f"institution-{institution.id}-activity")


def _log_page(filters: browse.Filters, bad: list[str], *, scope: int | None, institution):
    older_than = id_arg("older_than")
    entries, next_id = browse.entries_page(filters, older_than=older_than)
    # A manager's page names only the people their institution reaches (browse.rows).
    rows = browse.rows(entries, institution_id=scope, url_for=url_for, gettext=_)
    endpoint = "audit.admin_index" if institution is None else "audit.activity"
    export = "audit.admin_export" if institution is None else "audit.activity_export"
    place = {} if institution is None else {"institution_id": institution.id}
    query = filters.query()
    if institution is not None:
        query.pop("institution", None)
    heading = (_("Audit log") if institution is None
               else _("Activity of %(institution)s", institution=institution.name))
    return render_template(
        "audit/log.html", heading=heading, rows=rows, filters=filters, bad=bad,
        institution=institution,
        actions=ACTION_LABELS, institutions=browse.institutions() if institution is None else [],
        next_url=url_for(endpoint, **place, **query, older_than=next_id) if next_id else None,
        first_url=url_for(endpoint, **place, **query) if older_than else None,
        export_url=url_for(export, **place, **query), form_url=url_for(endpoint, **place),
    ), 400 if bad else 200


def _export(filters: browse.Filters, *, scope: int | None, name: str) -> Response:
    """The CSV, written as it is read, a chunk of entries at a time. The generator runs after
    the view has returned: each chunk is read in an application context of its own, in the
    reader's language, and no context is held while a chunk waits to be sent."""
    app = current_app._get_current_object()
    locale = str(get_locale() or "en")
    account = _("account #%(id)s")

    def lines():
        yield _csv_text([browse.CSV_COLUMNS], bom=True)
        older_than = None
        while True:
            with app.app_context(), force_locale(locale):
                rows, older_than = browse.export_chunk(filters, institution_id=scope,
                                                       account=account,
                                                       older_than=older_than)
                text = _csv_text(rows)
            if text:
                yield text
            if older_than is None:
                return

    filename = f"{name}-{utcnow().date().isoformat()}.csv"
    return Response(lines(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _csv_text(rows, *, bom: bool = False) -> str:
    """Rows as CSV, every cell a spreadsheet would run as a formula neutralised."""
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(str(value)) for value in row])
    return buffer.getvalue()
