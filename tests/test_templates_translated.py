"""No template shows a reader text that does not pass through the message catalogs."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ecampus"
TEMPLATES = sorted(path for suffix in ("html", "txt")
                   for path in PACKAGE.glob(f"**/templates/**/*.{suffix}"))

_TRANS_BLOCK = re.compile(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", re.S)
_JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
_WORD = re.compile(r"[^\W\d_]{2,}")
#: Attributes a browser shows or reads aloud.
_VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "label"}

#: Text that is data, not language: (template, how the text begins).
ALLOWED = {
    ("institutions/templates/institutions/import.html", "email,full_name,language,external_id\n"),
    ("api/templates/api/docs.html", "/api/v1/openapi.json"),
    ("api/templates/api/docs.html", "application/problem+json"),
}


class _VisibleText(HTMLParser):
    """Collects the text a reader would see or hear, outside scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._hidden += 1
        for name, value in attrs:
            if name in _VISIBLE_ATTRIBUTES and value and _WORD.search(value):
                self.found.append(value.strip())

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and _WORD.search(data):
            self.found.append(data.strip())


def untranslated_text(source: str) -> list[str]:
    """The visible words in a template once every Jinja expression and trans block is gone."""
    parser = _VisibleText()
    parser.feed(_JINJA.sub(" ", _TRANS_BLOCK.sub(" ", source)))
    parser.close()
    return parser.found


def test_the_scan_finds_text_outside_gettext():
    source = ('<p title="Help me">{{ _("Hello") }} world</p><input placeholder="{{ _("x") }}">'
              '{% trans %}Fine{% endtrans %}<script>let a = "not shown";</script>')
    assert untranslated_text(source) == ["Help me", "world"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_template_has_no_untranslated_text(template):
    name = str(template.relative_to(PACKAGE))
    found = [text for text in untranslated_text(template.read_text(encoding="utf-8"))
             if not any(name == where and text.startswith(start) for where, start in ALLOWED)]
    assert not found, f"wrap this text in _() or {{% trans %}}: {found}"
