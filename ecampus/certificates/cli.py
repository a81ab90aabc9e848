"""`ecampus certificates verify FILE.json [--online]` and `ecampus certificates rotate-key`."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import click
from flask.cli import AppGroup

from . import look, services, signing, vc

certificates_cli = AppGroup("certificates", help="Check credentials and manage signing keys.")


@certificates_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--online", is_flag=True,
              help="Fetch the issuer's profile for its keys and its revocation list, and check "
                   "the credential is not revoked.")
def verify_command(file: Path, online: bool):
    """Check a downloaded credential: signature, issuer key and dates (and revocation).

    Offline, the key is this site's own (from the database) whatever address it was issued
    under; `--online` reads the keys from the issuer profile the credential names."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        click.echo(f"FAILED: {file} is not a JSON credential ({error}).")
        sys.exit(1)
    resolve = services.resolve_key
    problems: list[str] = []
    if online and isinstance(document, dict):
        resolve, fetch_problems = _issuer_keys(document)
        problems += fetch_problems
    result, altered = services.verify_document(document, resolve)
    problems += list(result.errors) + altered
    if online and isinstance(document, dict) and not problems:
        problems += _revocation_problems(document, resolve)
    if problems:
        click.echo(f"FAILED: {file}")
        for problem in problems:
            click.echo(f"  - {problem}")
        sys.exit(1)
    subject = document.get("credentialSubject", {})
    click.echo(f"OK: {file} is a valid credential issued by {document['issuer'].get('name')} "
               f"for \"{subject.get('achievement', {}).get('name')}\""
               + (" and it is not revoked." if online else " (revocation not checked)."))


def fetch_json(url: str) -> dict:
    """GET a JSON document over http(s); raises OSError or ValueError."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("not an http(s) address")
    accept = {"Accept": "application/ld+json, application/json"}
    request = urllib.request.Request(url, headers=accept)  # noqa: S310 - http(s) only
    with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - http(s) only
        return json.loads(response.read())


def _issuer_keys(document: dict):
    """The keys the credential's issuer publishes in its profile, and any fetch problem."""
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer_id, str):
        return (lambda _method: None), []
    try:
        profile = fetch_json(issuer_id)
        keys = vc.keys_from_issuer_profile(profile)
    except (OSError, ValueError, vc.KeyFormatError) as error:
        return (lambda _method: None), [
            f"could not fetch the issuer profile at {issuer_id}: {error}"]
    if profile.get("id") != issuer_id:
        return (lambda _method: None), [
            f"the issuer profile at {issuer_id} names another issuer ({profile.get('id')!r})"]
    return keys.get, []


def _revocation_problems(document: dict, resolve) -> list[str]:
    status = document.get("credentialStatus")
    if not isinstance(status, dict):
        return ["the credential names no revocation list"]
    url = status.get("statusListCredential")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return ["the credential names no revocation list"]
    try:
        status_list = fetch_json(url)
    except (OSError, ValueError) as error:
        return [f"could not fetch the revocation list at {url}: {error}"]
    checked = vc.verify_credential(status_list, resolve)
    if not checked.ok:
        return [f"the revocation list is not genuine: {'; '.join(checked.errors)}"]
    if status_list.get("id") != url:
        return [f"the revocation list at {url} names another address ({status_list.get('id')!r})"]
    try:
        revoked = vc.status_bit(status_list.get("credentialSubject", {}).get("encodedList", ""),
                                int(status["statusListIndex"]))
    except (KeyError, TypeError, ValueError) as error:
        return [f"the revocation status cannot be read: {error}"]
    if revoked:
        return ["the certificate has been revoked by its issuer"]
    return []


@certificates_cli.command("rotate-key")
def rotate_key_command():
    """Sign new certificates with a new key; earlier ones keep verifying with the old one."""
    try:
        new = signing.rotate_key()
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Now signing with {new}; earlier keys stay published.")


@certificates_cli.command("look")
@click.argument("folder", required=False,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
def look_command(folder: Path | None):
    """Set the emblem, signature, seal and signatory.txt from a folder (by default
    instance/certificate-look/), for every node at once."""
    from flask import current_app

    folder = folder or Path(current_app.instance_path) / look.FOLDER
    try:
        found = look.import_folder(folder)
    except look.LookError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Certificates now carry: {', '.join(found)}.")
