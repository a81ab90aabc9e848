"""`ecampus webhooks add|list|delete`: an institution's endpoints from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..events import EVENT_TYPES
from . import services

webhooks_cli = AppGroup("webhooks", help="An institution's webhook endpoints.")


def _institution_id(institution: str) -> int:
    try:
        return services.find_institution(institution).id
    except services.NotFound:
        raise click.UsageError(f"There is no institution {institution!r} (give its id or "
                               f"its exact name).") from None


@webhooks_cli.command("add")
@click.argument("institution")
@click.argument("url")
@click.option("--event", "events", multiple=True, type=click.Choice(EVENT_TYPES),
              help="An event to receive (repeat it); every event when none is given.")
@click.option("--description", default="")
def add_command(institution: str, url: str, events: tuple[str, ...], description: str):
    """Register URL for INSTITUTION (id or name); prints the signing secret once."""
    institution_id = _institution_id(institution)
    try:
        endpoint, secret = services.add_endpoint(institution_id, url, events or EVENT_TYPES,
                                                 description)
    except services.WebhookError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"Endpoint {endpoint.id} registered for {', '.join(endpoint.events)}.")
    click.echo(f"Signing secret (shown once): {secret}")


@webhooks_cli.command("list")
@click.argument("institution")
def list_command(institution: str):
    """List INSTITUTION's endpoints: id, state, address and events."""
    for endpoint in services.list_endpoints(_institution_id(institution)):
        state = "on" if endpoint.active else f"off ({endpoint.disabled_reason})"
        click.echo(f"{endpoint.id}\t{state}\t{endpoint.url}\t{','.join(endpoint.events)}")


@webhooks_cli.command("delete")
@click.argument("institution")
@click.argument("endpoint_id", type=int)
def delete_command(institution: str, endpoint_id: int):
    """Delete one of INSTITUTION's endpoints and its deliveries."""
    try:
        services.delete_endpoint(_institution_id(institution), endpoint_id)
    except services.NotFound:
        raise click.UsageError(f"{institution} has no endpoint {endpoint_id}.") from None
    click.echo(f"Endpoint {endpoint_id} deleted.")

