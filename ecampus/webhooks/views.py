"""The managers' webhook pages: endpoints, their secret (shown once) and their deliveries.

Every page starts with `_institution`, so another institution's manager gets a 404 whatever
the page, the method or the ids in the address.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..requests import page_arg
from ..security import require_valid_form, roles_required
from . import services
from .forms import EVENT_LABELS, EndpointForm

bp = Blueprint("webhooks", __name__, url_prefix="/institutions/<int:institution_id>/webhooks",
               template_folder="templates")


def _institution(institution_id: int):
    try:
        return services.institution_for(current_user, institution_id)
    except services.NotFound:
        abort(404)


def _endpoint(institution_id: int, endpoint_id: int):
    try:
        return services.get_endpoint(institution_id, endpoint_id)
    except services.NotFound:
        abort(404)


def _index_page(institution, form, *, status: int = 200, secret=None, created=None):
    return render_template("webhooks/index.html", institution=institution, form=form,
                           endpoints=services.list_endpoints(institution.id),
                           labels=EVENT_LABELS, secret=secret, created=created), status


@bp.route("/")
@roles_required("manager")
def index(institution_id: int):
    return _index_page(_institution(institution_id), EndpointForm(formdata=None))


@bp.route("/", methods=["POST"])
@roles_required("manager")
def create(institution_id: int):
    institution = _institution(institution_id)
    form = EndpointForm()
    if not form.validate_on_submit():
        return _index_page(institution, form, status=400)
    try:
        endpoint, secret = services.add_endpoint(institution.id, form.url.data, form.events.data,
                                                 form.description.data or "", current_user.id)
    except services.WebhookError as error:
        form.url.errors = [*form.url.errors, str(error)]
        return _index_page(institution, form, status=400)
    # The secret is in this answer only (never stored in the session or a link).
    return _index_page(institution, EndpointForm(formdata=None), secret=secret,
                       created=endpoint)


@bp.route("/<int:endpoint_id>")
@roles_required("manager")
def endpoint(institution_id: int, endpoint_id: int, *, secret: str | None = None):
    institution = _institution(institution_id)
    found = _endpoint(institution.id, endpoint_id)
    page = page_arg()
    deliveries, total = services.deliveries_page(found.id, page)
    return render_template("webhooks/endpoint.html", institution=institution, endpoint=found,
                           deliveries=deliveries, total=total, page=page,
                           page_size=services.DELIVERIES_PAGE_SIZE, labels=EVENT_LABELS,
                           secret=secret)


@bp.route("/<int:endpoint_id>/secret", methods=["POST"])
@roles_required("manager")
def rotate(institution_id: int, endpoint_id: int):
    institution = _institution(institution_id)
    _endpoint(institution.id, endpoint_id)
    require_valid_form()
    secret = services.rotate_secret(institution.id, endpoint_id, current_user.id)
    return endpoint(institution.id, endpoint_id, secret=secret)


def _act(institution_id: int, endpoint_id: int, action, done: str):
    institution = _institution(institution_id)
    _endpoint(institution.id, endpoint_id)
    require_valid_form()
    try:
        action(institution.id)
    except services.NotFound:
        abort(404)
    except services.WebhookError as error:
        flash(str(error), "error")
    else:
        flash(done, "success")
    return redirect(url_for("webhooks.endpoint", institution_id=institution.id,
                            endpoint_id=endpoint_id))


@bp.route("/<int:endpoint_id>/disable", methods=["POST"])
@roles_required("manager")
def disable(institution_id: int, endpoint_id: int):
    return _act(institution_id, endpoint_id, lambda institution: services.set_active(
        institution, endpoint_id, False, current_user.id),
        _("The endpoint is turned off: no event is sent to it."))


@bp.route("/<int:endpoint_id>/enable", methods=["POST"])
@roles_required("manager")
def enable(institution_id: int, endpoint_id: int):
    return _act(institution_id, endpoint_id, lambda institution: services.set_active(
        institution, endpoint_id, True, current_user.id),
        _("The endpoint is turned on: new events are sent to it."))


@bp.route("/<int:endpoint_id>/test", methods=["POST"])
@roles_required("manager")
def send_test(institution_id: int, endpoint_id: int):
    return _act(institution_id, endpoint_id, lambda institution: services.send_test(
        institution, endpoint_id, current_user.id),
        _("A test event is on its way; its delivery is listed below."))


@bp.route("/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@roles_required("manager")
def redeliver(institution_id: int, endpoint_id: int, delivery_id: int):
    return _act(institution_id, endpoint_id, lambda institution: services.redeliver(
        institution, endpoint_id, delivery_id, current_user.id),
        _("The event will be sent again, with the same id."))


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
@roles_required("manager")
def delete(institution_id: int, endpoint_id: int):
    institution = _institution(institution_id)
    _endpoint(institution.id, endpoint_id)
    require_valid_form()
    services.delete_endpoint(institution.id, endpoint_id, current_user.id)
    flash(_("The endpoint is deleted."), "success")
    return redirect(url_for("webhooks.index", institution_id=institution.id))
