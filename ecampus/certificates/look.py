"""The institution's own certificate look: emblem, signatory and seal, set by admins.

Stored in one database row so that every node prints the same certificate; each image is
checked (`images.check_image`) before it is kept, and a certificate without any of them
keeps the default design.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _

from ..audit import record
from ..auth.models import normalise_name
from ..extensions import db
from ..timeutil import utcnow
from .images import CertificateLook, ImageProblem, LookImage, check_image
from .models import IssuerLook

PARTS = ("emblem", "signature", "seal")
LOOK_ID = 1
#: Files read by `import_folder`, in `instance/certificate-look/`.
FOLDER = "certificate-look"


class LookError(Exception):
    """Uploads that cannot be used: a message per part (emblem, signature, seal)."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{part}: {message}" for part, message in problems.items()))
        self.problems = problems


def current_look() -> CertificateLook:
    """The look every certificate is printed with now (the default when none is set)."""
    row = db.session.get(IssuerLook, LOOK_ID)
    if row is None:
        return CertificateLook()
    images = {}
    for part in PARTS:
        data, mime = getattr(row, part), getattr(row, f"{part}_type")
        images[part] = _stored_image(data, mime)
    return CertificateLook(signatory_name=row.signatory_name or "",
                           signatory_title=row.signatory_title or "",
                           version=row.updated_at.strftime("%Y%m%d%H%M%S%f"), **images)


def _stored_image(data: bytes | None, mime: str | None) -> LookImage | None:
    if not data:
        return None
    try:
        return check_image(data)
    except ImageProblem:  # checked when saved; a row edited by hand is simply left out
        return None


def image(part: str) -> LookImage | None:
    """One image of the look, to serve on the verify page and in the issuer profile."""
    if part not in PARTS:
        return None
    return getattr(current_look(), part)


def save_look(*, signatory_name: str, signatory_title: str, uploads: dict[str, bytes],
              remove: set[str] = frozenset()) -> CertificateLook:
    """Check every upload, then keep them all or none; parts neither uploaded nor removed
    are left as they were."""
    checked, problems = {}, {}
    for part, data in uploads.items():
        if part not in PARTS or not data:
            continue
        try:
            checked[part] = check_image(data)
        except ImageProblem as problem:
            problems[part] = str(problem)
    if problems:
        raise LookError(problems)
    row = db.session.get(IssuerLook, LOOK_ID, with_for_update=True)
    if row is None:
        row = IssuerLook(id=LOOK_ID)
        db.session.add(row)
    changed, removed = [], []
    for part in PARTS:
        if part in checked:
            if getattr(row, part) != checked[part].data:
                changed.append(part)
            setattr(row, part, checked[part].data)
            setattr(row, f"{part}_type", checked[part].mime)
        elif part in remove:
            if getattr(row, part):
                removed.append(part)
            setattr(row, part, None)
            setattr(row, f"{part}_type", None)
    name = normalise_name(signatory_name)[:200] or None
    title = " ".join((signatory_title or "").split())[:200] or None
    # Which parts changed, never their content: the signatory is named on every certificate,
    # but the log names people by account only.
    changed += [field for field, value in (("signatory_name", name), ("signatory_title", title))
                if getattr(row, field) != value]
    row.signatory_name, row.signatory_title = name, title
    row.updated_at = utcnow()
    if changed or removed:
        record("certificate.look_changed", target=("certificate_look", LOOK_ID),
               after={"changed": changed, "removed": removed})
    db.session.commit()
    return current_look()


def import_folder(folder: Path) -> list[str]:
    """Set the look from files in a folder (emblem.png or .svg, signature.*, seal.*, and
    signatory.txt: the name on its first line, the title on its second); returns what was
    set. Raises LookError when a file cannot be used, keeping nothing."""
    uploads, found = {}, []
    for part in PARTS:
        for suffix in (".png", ".svg"):
            path = folder / f"{part}{suffix}"
            if path.is_file():
                uploads[part] = path.read_bytes()
                found.append(path.name)
                break
    current = current_look()
    name, title = current.signatory_name, current.signatory_title
    signatory = folder / "signatory.txt"
    if signatory.is_file():
        lines = signatory.read_text(encoding="utf-8").splitlines() + ["", ""]
        name, title = lines[0].strip(), lines[1].strip()
        found.append(signatory.name)
    if not found:
        raise LookError({"folder": _("No emblem, signature, seal or signatory.txt in %(path)s.",
                                     path=str(folder))})
    save_look(signatory_name=name, signatory_title=title, uploads=uploads)
    return found
