"""Every interface string is translated into every configured language, and compiled."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ecampus.config import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "ecampus" / "translations"
#: Every configured language but English, the language the source is written in.
TRANSLATED = [code for code in LANGUAGES if code != "en"]


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory) -> set[str]:
    """The messages the source code asks for today, extracted by pybabel itself."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
         "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_translates_every_message(source_messages, language):
    po_path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    missing = []
    for message_id in sorted(source_messages):
        message = catalog.get(message_id)
        if message is None:
            message = next((m for m in catalog if isinstance(m.id, tuple)
                            and m.id[0] == message_id), None)
        strings = message.string if message is not None else None
        if (not strings or (isinstance(strings, tuple) and not all(strings))
                or message.fuzzy):
            missing.append(message_id)
    assert not missing, (f"{len(missing)} message(s) untranslated in {language}; run "
                         f"'make messages', translate, then 'make translations': {missing[:10]}")


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalog_matches_its_source(language):
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert (folder / "messages.mo").read_bytes() == compiled.getvalue(), "run 'make translations'"


def test_every_catalog_on_disk_is_a_configured_language():
    on_disk = {folder.name for folder in TRANSLATIONS.iterdir() if folder.is_dir()}
    assert on_disk == set(TRANSLATED)
