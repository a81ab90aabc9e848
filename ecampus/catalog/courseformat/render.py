"""Markdown to safe HTML, with links to modules and course files rewritten for the platform."""

from __future__ import annotations

import difflib
import html as htmllib
import itertools
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

import markdown
import nh3

from ...catalogs import catalog
from .files import COURSE_FILE_RE, CourseFiles, is_markdown_name
from .frontmatter import Lines
from .model import ProblemLog

EXTENSIONS = ["tables", "fenced_code", "footnotes", "def_list", "admonition", "toc", "abbr"]
EXTENSION_CONFIGS = {"toc": {"permalink": False}, "tables": {"use_align_attribute": True}}

URL_SCHEMES = {"http", "https", "mailto"}
EXTERNAL_REL = "noopener noreferrer"
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
ALLOWED_TAGS = HEADINGS | {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
    "div", "dl", "dt", "em", "figcaption", "figure", "hr", "i", "img", "ins", "kbd", "li",
    "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
}
# Tags removed together with everything inside them (the rest keep their text).
CLEAN_CONTENT_TAGS = {
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math",
    "noembed", "noframes", "xmp", "textarea", "select", "title",
}
CELL_ATTRIBUTES = {"align", "colspan", "rowspan"}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "li": {"id"},
    "sup": {"id"},
    "ol": {"start"},
    "th": CELL_ATTRIBUTES,
    "td": CELL_ATTRIBUTES,
    **{h: {"id"} for h in HEADINGS},
}
ADMONITION_CLASSES = {
    "admonition", "note", "tip", "hint", "important", "warning", "caution", "attention",
    "danger", "error", "info", "seealso", "example", "abstract", "summary", "question",
    "success", "failure", "bug", "quote", "todo",
}
ALLOWED_CLASSES = {
    "div": ADMONITION_CLASSES | {"footnote"},
    "p": {"admonition-title"},
    "a": {"footnote-ref", "footnote-backref"},
}

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_:.-]{0,127}$")
_SIZE_RE = re.compile(r"^\d{1,5}%?$")
_IGNORED_IN_URL = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
# Adds rel to links to other sites *before* sanitising: a wrong guess can only add or miss
# a harmless attribute, while editing sanitised HTML with a regex could open a hole.
_EXTERNAL_LINK_RE = re.compile(r"<a(?=\s[^>]*?\bhref\s*=\s*[\"']?\s*(?:https?:)?//)", re.I)
# A line that starts with a letter and has no Markdown or HTML syntax renders as itself;
# most quiz options are such lines, and skipping Markdown for them halves quiz rendering.
_PLAIN_LINE_RE = re.compile(r"^[^\W\d_][^*_`\[\]<>&\\!~|{}\x00-\x1f\x7f\xa0]*(?<=\S)$")
_IMG_TAG_RE = re.compile(r"<img\b(?:[^>\"]|\"[^\"]*\")*>")
_ATTR_RE = re.compile(r"([a-zA-Z-]+)=\"([^\"]*)\"")


@dataclass
class _Job:
    relpath: str
    lines: Lines
    found: list[tuple[str, str, str]] = field(default_factory=list)
    originals: dict[str, str] = field(default_factory=dict)


class Renderer:
    """Renders one course's Markdown; reuses one Markdown instance and one sanitiser."""

    def __init__(self, files: CourseFiles, base_url: str, module_slugs: dict[str, str],
                 log: ProblemLog) -> None:
        self.files = files
        self.base_url = base_url
        self.module_slugs = module_slugs
        self.log = log
        self.referenced: set[str] = set()
        self._job: _Job | None = None
        self._md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                                     output_format="html")
        self._cleaner = nh3.Cleaner(
            tags=ALLOWED_TAGS,
            clean_content_tags=CLEAN_CONTENT_TAGS,
            attributes=ATTRIBUTES,
            attribute_filter=self._filter_attribute,
            strip_comments=True,
            link_rel=None,
            url_schemes=URL_SCHEMES,
            allowed_classes=ALLOWED_CLASSES,
            tag_attribute_values={"a": {"rel": {EXTERNAL_REL}}},
        )

    def render(self, lines: Lines, relpath: str, extra: Sequence[str] = ()) -> str:
        """Safe HTML for Markdown lines; problems are reported at their source line.

        ``extra`` lines (link and abbreviation definitions) are appended so that a quiz's
        fragments can use definitions written anywhere in the file.
        """
        plain = _plain_paragraph(lines, extra)
        if plain is not None:
            return plain
        text = "\n".join(t for _, t in lines)
        if extra:
            text += "\n\n" + "\n".join(extra)
        self._md.reset()
        raw_html = _EXTERNAL_LINK_RE.sub(f'<a rel="{EXTERNAL_REL}"', self._md.convert(text))
        job = self._job = _Job(relpath, lines)
        try:
            clean = self._cleaner.clean(raw_html)
        finally:
            self._job = None
        clean = clean.strip()
        self._check_alt_text(clean, job)
        for severity, url, message in job.found:
            line = _locate(job.lines, url)
            if severity == "error":
                self.log.error(relpath, line, message)
            else:
                self.log.warning(relpath, line, message)
        return clean

    def render_inline(self, lines: Lines, relpath: str, extra: Sequence[str] = ()) -> str:
        """Like ``render`` but without the paragraph around a single line of text."""
        out = self.render(lines, relpath, extra).strip()
        if out.startswith("<p>") and out.endswith("</p>") and out.count("<p") == 1:
            return out[3:-4]
        return out

    def _filter_attribute(self, tag: str, attribute: str, value: str) -> str | None:
        if attribute in ("href", "src"):
            return self._rewrite_url(tag, value)
        if attribute == "id":
            return value if _ID_RE.match(value) else None
        if attribute in ("width", "height"):
            return value if _SIZE_RE.match(value.strip()) else None
        return value

    def _rewrite_url(self, tag: str, value: str) -> str | None:
        # Browsers ignore tabs and newlines inside URLs and spaces around them.
        probe = _IGNORED_IN_URL.sub("", value).strip(_C0_AND_SPACE)
        if not probe or probe.startswith(("#", "/")):
            return value
        scheme = _SCHEME_RE.match(probe)
        if scheme:
            return value if scheme.group(1).lower() in URL_SCHEMES else None
        return self._rewrite_local(tag, value, probe)

    def _rewrite_local(self, tag: str, value: str, probe: str) -> str | None:
        job = self._job
        assert job is not None
        path, _, fragment = probe.partition("#")
        rel = unquote(path.split("?", 1)[0])
        if not rel:
            return value
        what = "image" if tag == "img" else "link"
        suffix = f"#{fragment}" if fragment else ""
        norm = posixpath.normpath(rel)
        files = self.files
        target: str | None = None
        problem: str | None = None
        if norm == ".." or norm.startswith(("../", "/")) or "\\" in norm:
            problem = "points outside the course folder"
        elif norm in self.module_slugs:
            target = f"{self.base_url}{self.module_slugs[norm]}/{suffix}"
        elif norm in files.files and COURSE_FILE_RE.match(norm):
            target = f"{self.base_url}{suffix}"
        elif norm in files.escaping:
            problem = "is a symbolic link that leads outside the course folder"
        elif norm in files.files and is_markdown_name(norm):
            problem = "points to a Markdown file that is not a module of this course"
        elif norm in files.files:
            media = files.media_file(norm)
            self.referenced.add(norm)
            target = f"{self.base_url}{media.url_path}{suffix}"
        elif norm in files.folders or norm == ".":
            problem = "points to a folder, not a file"
        else:
            close = difflib.get_close_matches(norm, list(files.files), n=1, cutoff=0.8)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problem = f"points to a missing file{hint}"
        if problem:
            job.found.append(("error", value, f"{what} '{value}' {problem}"))
            return None
        assert target is not None
        job.originals[target] = value
        return target

    def _check_alt_text(self, clean: str, job: _Job) -> None:
        for tag in _IMG_TAG_RE.finditer(clean):
            attrs = dict(_ATTR_RE.findall(tag.group(0)))
            if attrs.get("alt", "").strip() or "src" not in attrs:
                continue
            src = htmllib.unescape(attrs["src"])
            original = job.originals.get(src, src)
            job.found.append(("warning", original, f"image '{original}' has no alt text; "
                                                   "describe it for people using screen readers"))


def _plain_paragraph(lines: Lines, extra: Sequence[str]) -> str | None:
    """The HTML of a paragraph of plain text without running Markdown, or None if not plain."""
    texts = [t for _, t in lines]
    while texts and not texts[-1].strip():
        texts.pop()
    if not texts or any(d.lstrip().startswith("*[") for d in extra):
        return None
    if all(_PLAIN_LINE_RE.match(t) for t in texts):
        return "<p>" + "\n".join(texts) + "</p>"
    return None


def _locate(lines: Lines, needle: str) -> int:
    """The first source line that mentions ``needle``, else the fragment's first line."""
    candidates = [needle, htmllib.escape(needle, quote=False), needle.replace(" ", "%20")]
    for number, text in lines:
        if any(c in text for c in candidates):
            return number
    return lines[0][0] if lines else 1


_TAG_RE = re.compile(r"<[^>]+>")


def present(html: str, language: str, title: str | None = None) -> str:
    """Final touches on a sanitised page body, done once at publish time.

    Each table gets its own focusable, sideways-scrolling box, so a wide table never makes a
    phone's page scroll; a body that opens with ``# <its title>`` does not show it twice.
    """
    if title is not None and html.startswith("<h1"):
        heading, _, rest = html.partition("</h1>")
        if _TAG_RE.sub("", heading).strip() == title.strip():
            html = rest.lstrip()
    messages = catalog(language)
    number = itertools.count(1)
    html = re.sub("<table>", lambda _match: (
        '<div class="table-scroll" role="region" tabindex="0" aria-label="{}"><table>'.format(
            htmllib.escape(messages.gettext("Table %(number)d") % {"number": next(number)}))),
        html)
    return html.replace("</table>", "</table></div>")
