"""`ecampus certificates verify FILE.json [--online]` and `ecampus certificates rotate-key`."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import click
from flask.cli import AppGroup

from . import services, signing, vc

certificates_cli = AppGroup("certificates", help="Check credentials and manage signing keys.")


@certificates_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--online", is_flag=True,
              help="Also fetch the issuer's revocation list and check the credential is not "
                   "revoked.")
def verify_command(file: Path, online: bool):
    """Check a downloaded credential: signature, issuer key and dates (and revocation)."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        click.echo(f"FAILED: {file} is not a JSON credential ({error}).")
        sys.exit(1)
    result, altered = services.verify_document(document)
    problems = list(result.errors)
    for field in altered:
        problems.append(f"altered field: {field} differs from the credential as issued")
    if online and isinstance(document, dict):
        problems += _revocation_problems(document)
    if problems:
        click.echo(f"FAILED: {file}")
        for problem in problems:
            click.echo(f"  - {problem}")
        sys.exit(1)
    subject = document.get("credentialSubject", {})
    click.echo(f"OK: {file} is a valid credential issued by {document['issuer'].get('name')} "
               f"for \"{subject.get('achievement', {}).get('name')}\""
               + (" and it is not revoked." if online else " (revocation not checked)."))


def _revocation_problems(document: dict) -> list[str]:
    status = document.get("credentialStatus") or {}
    url = status.get("statusListCredential")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return ["the credential names no revocation list"]
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - http(s) only
            status_list = json.loads(response.read())
    except (OSError, ValueError) as error:
        return [f"could not fetch the revocation list at {url}: {error}"]
    checked = vc.verify_credential(status_list, services.resolve_key)
    if not checked.ok:
        return [f"the revocation list is not genuine: {'; '.join(checked.errors)}"]
    encoded = status_list.get("credentialSubject", {}).get("encodedList", "")
    if vc.status_bit(encoded, int(status["statusListIndex"])):
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
