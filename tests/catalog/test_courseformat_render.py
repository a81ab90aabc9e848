"""Rendering: Markdown extensions, link and media rewriting, and sanitising."""

from __future__ import annotations

import hashlib
import re

import pytest

from ecampus.catalog.courseformat import read_course
from tests.catalog.fixtures import messages, module, read, write_course

PNG = b"\x89PNG fake image bytes"
PNG_ID = hashlib.sha256(PNG).hexdigest()[:12]


def body_html(tmp_path, body: str, extra: dict | None = None) -> str:
    """The rendered body of a lesson that must have no problems."""
    result = read(tmp_path, {"01-a.md": module(body=body), "02-next-step.md": module(),
                             **(extra or {})})
    assert messages(result) == []
    return result.course.modules[0].texts["en"].body_html


def problems(tmp_path, body: str, extra: dict | None = None) -> list[str]:
    result = read(tmp_path, {"01-a.md": module(body=body), **(extra or {})})
    return [f"{p.line}: {p.severity}: {p.message}" for p in result.problems]


@pytest.mark.parametrize(
    ("link", "href"),
    [
        ("02-next-step.md", "/courses/demo-course/next-step/"),
        ("./02-next-step.md", "/courses/demo-course/next-step/"),
        ("02-next-step.md#key-terms", "/courses/demo-course/next-step/#key-terms"),
        ("course.md", "/courses/demo-course/"),
        ("#local", "#local"),
        ("/help/", "/help/"),
        ("mailto:team@example.org", "mailto:team@example.org"),
    ],
)
def test_internal_links_are_rewritten(tmp_path, link, href):
    assert body_html(tmp_path, f"[go]({link})\n") == f'<p><a href="{href}">go</a></p>'


def test_external_links_are_left_alone_with_rel(tmp_path):
    html = body_html(tmp_path, "[a](https://example.org/x?a=1&b=2) [b](http://example.org)\n")
    assert html == (
        '<p><a rel="noopener noreferrer" href="https://example.org/x?a=1&amp;b=2">a</a> '
        '<a rel="noopener noreferrer" href="http://example.org">b</a></p>')


def test_base_url_can_be_changed(tmp_path):
    folder = write_course(tmp_path, {"01-a.md": module(body="[n](02-b.md) ![Map](m.png)\n"),
                                     "02-b.md": module(), "m.png": PNG})
    result = read_course(folder, base_url="https://learn.example.org/c/{slug}/")
    assert result.course.modules[0].texts["en"].body_html == (
        '<p><a href="https://learn.example.org/c/demo-course/b/">n</a> '
        f'<img alt="Map" src="https://learn.example.org/c/demo-course/files/{PNG_ID}/m.png"></p>')


def test_images_and_downloads_are_served_by_content_hash(tmp_path):
    html = body_html(
        tmp_path,
        "![Routes map](media/routes-map.png)\n\n[handout](handout.pdf)\n",
        {"media/routes-map.png": PNG, "handout.pdf": b"%PDF"},
    )
    pdf_id = hashlib.sha256(b"%PDF").hexdigest()[:12]
    assert html == (
        f'<p><img alt="Routes map" src="/courses/demo-course/files/{PNG_ID}/media/routes-map.png">'
        f'</p>\n<p><a href="/courses/demo-course/files/{pdf_id}/handout.pdf">handout</a></p>')


def test_referenced_files_outside_media_are_published(tmp_path):
    result = read(tmp_path, {"01-a.md": module(body="[h](docs/handout.pdf)\n"),
                             "docs/handout.pdf": b"%PDF", "docs/unused.pdf": b"%PDF"})
    assert list(result.course.media) == ["docs/handout.pdf"]
    assert result.course.media["docs/handout.pdf"].mimetype == "application/pdf"


def test_file_names_with_spaces(tmp_path):
    html = body_html(tmp_path, "![Map](<media/my map.png>) ![Map](media/my%20map.png)\n",
                     {"media/my map.png": PNG})
    assert html.count(f"/files/{PNG_ID}/media/my%20map.png") == 2


def test_missing_files_are_errors_at_their_line(tmp_path):
    body = "Intro.\n\n![Map](media/map.png)\n\nSee [notes](notes.pdf) and [next](03-x.md).\n"
    assert problems(tmp_path, body) == [
        "6: error: image 'media/map.png' points to a missing file",
        "8: error: link 'notes.pdf' points to a missing file",
        "8: error: link '03-x.md' points to a missing file",
    ]


def test_missing_file_suggests_a_close_name(tmp_path):
    assert problems(tmp_path, "![Map](media/routes_map.png)\n",
                    {"media/routes-map.png": PNG}) == [
        "4: error: image 'media/routes_map.png' points to a missing file; "
        "did you mean 'media/routes-map.png'?"]


def test_link_names_must_match_case(tmp_path):
    assert problems(tmp_path, "![Map](media/Map.png)\n", {"media/map.png": PNG}) == [
        "4: error: image 'media/Map.png' points to a missing file; did you mean 'media/map.png'?"]


def test_links_outside_the_course_folder_are_errors(tmp_path):
    assert problems(tmp_path, "[up](../other-course/course.md)\n") == [
        "4: error: link '../other-course/course.md' points outside the course folder"]


def test_links_to_folders_and_non_module_markdown_are_errors(tmp_path):
    found = problems(tmp_path, "[m](media/) [r](README.md)\n",
                     {"media/x.png": PNG, "README.md": "notes"})
    assert found == [
        "4: error: link 'media/' points to a folder, not a file",
        "4: error: link 'README.md' points to a Markdown file that is not a module of this "
        "course",
    ]


def test_reference_style_link_errors_point_at_the_definition(tmp_path):
    assert problems(tmp_path, "See [the map][map].\n\n[map]: media/map.png\n") == [
        "6: error: link 'media/map.png' points to a missing file"]


def test_image_without_alt_text_is_a_warning(tmp_path):
    found = problems(tmp_path, "Text.\n\n![](media/a.png)\n\n<img src=\"media/a.png\">\n",
                     {"media/a.png": PNG})
    assert found == [
        "6: warning: image 'media/a.png' has no alt text; describe it for people using "
        "screen readers"]
    result = read(tmp_path, {"01-a.md": module(body="<img src=\"media/a.png\">\n"),
                             "media/a.png": PNG}, slug="raw-html")
    assert [p.severity for p in result.problems] == ["warning"]
    assert result.course is not None


def test_markdown_extensions(tmp_path):
    html = body_html(tmp_path, """\
        ## Key terms

        | Term | Count |
        |:-----|------:|
        | A    | 1     |

        !!! warning "Mind the gap"
            Text.

        IOM
        :   International Organization for Migration.

        Footnote[^1].

        ```python
        print("hi")
        ```

        *[IOM]: International Organization for Migration

        [^1]: The note.
        """)
    assert '<h2 id="key-terms">Key terms</h2>' in html
    assert '<th align="left">Term</th>' in html and '<td align="right">1</td>' in html
    assert '<div class="admonition warning">\n<p class="admonition-title">Mind the gap</p>' in html
    assert "<dt><abbr title=\"International Organization for Migration\">IOM</abbr></dt>" in html
    assert '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>' in html
    assert '<div class="footnote">' in html and '<li id="fn:1">' in html
    assert "<pre><code>print(&quot;hi&quot;)\n</code></pre>" in html or \
        '<pre><code>print("hi")\n</code></pre>' in html
    assert "style=" not in html


def test_attribute_lists_are_not_interpreted(tmp_path):
    html = body_html(tmp_path, "# Title {: #x .y onclick=z }\n")
    assert html == '<h1 id="title-x-y-onclickz">Title {: #x .y onclick=z }</h1>'


def test_classes_and_ids_outside_the_allow_list_are_removed(tmp_path):
    html = body_html(tmp_path, '<div class="admonition evil note">x</div>\n\n'
                               '<p class="big">y</p>\n\n<h2 id="a b">z</h2>\n\n'
                               '<span id="main">w</span>\n')
    assert '<div class="admonition note">x</div>' in html
    assert '<p class="">y</p>' in html and "<h2>z</h2>" in html and "<span>w</span>" in html


XSS = """\
<script>alert(1)</script>

<SCRIPT SRC=https://evil.example/x.js></SCRIPT>

[click](javascript:alert(1))

[click2](JaVaScRiPt:alert(1))

<a href="JaVaScRiPt:alert(1)">caps</a>

<a href="&#106;avascript:alert(1)">entity</a>

<a href="java&#9;script:alert(1)">tab</a>

<a href="java&#x0A;script:alert(1)">newline</a>

<a href=" javascript:alert(1)">space</a>

<a href="vbscript:msgbox(1)">vb</a>

<img src=x onerror=alert(1)>

<img src="media/ok.png" alt="ok" onload="alert(1)">

![pic](javascript:alert(1))

<p onclick="alert(1)" style="color:red">para</p>

<div style="background:url(javascript:alert(1))">styled</div>

<iframe src="https://evil.example"></iframe>

<iframe srcdoc="<script>alert(1)</script>"></iframe>

<svg><script>alert(1)</script></svg>

<svg onload=alert(1)><circle r="1"/></svg>

<math><mi xlink:href="javascript:alert(1)">m</mi></math>

<object data="https://evil.example/x.swf"></object>

<embed src="https://evil.example/x.swf">

<form action="https://evil.example"><input name="q" onfocus="alert(1)" autofocus></form>

<style>body { display: none }</style>

<link rel="stylesheet" href="https://evil.example/x.css">

<meta http-equiv="refresh" content="0;url=https://evil.example">

<base href="https://evil.example/">

<details open ontoggle="alert(1)"><summary>s</summary>d</details>

[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)

<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">

<a href="https://ok.example" onmouseover="alert(1)" target="_blank">ok</a>

<!-- <script>alert(1)</script> -->
"""

FORBIDDEN = [
    "<script", "javascript", "vbscript", "onerror", "onclick", "onload", "onmouseover",
    "ontoggle", "onfocus", "<iframe", "<svg", "<math", "<object", "<embed", "<form", "<input",
    "<style", "style=", "data:", "<link", "<meta", "<base", "srcdoc", "target=", "alert(",
    "<!--", "evil.example/x",
]


def test_nothing_executable_survives_sanitising(tmp_path):
    result = read(tmp_path, {
        "course.md": "---\ntitle: T\nsummary: S\n---\n" + XSS,
        "01-a.md": module(body=XSS),
        "media/ok.png": PNG,
        "x": PNG,
    })
    assert result.errors == []
    htmls = [result.course.texts["en"].description_html,
             result.course.modules[0].texts["en"].body_html]
    for html in htmls:
        lowered = html.lower()
        found = [word for word in FORBIDDEN if word in lowered]
        assert found == [], html
        assert "para" in html and "styled" in html and "caps" in html
        assert re.search(r'<a rel="noopener noreferrer" href="https://ok.example">ok</a>', html)


def test_quiz_text_is_sanitised_too(tmp_path):
    body = ("## Q <img src=x onerror=alert(1)> {#q}\n\n"
            "- [x] <script>alert(1)</script>yes\n  > <a href=\"javascript:alert(1)\">f</a>\n"
            "- [ ] no\n\n> <iframe src=x></iframe>why\n")
    result = read(tmp_path, {"01-q.md": module("Quiz", body, kind="quiz"), "x": PNG})
    [question] = result.course.modules[0].texts["en"].questions
    dumped = repr(question).lower()
    assert "onerror" not in dumped and "<script" not in dumped and "javascript" not in dumped
    assert "<iframe" not in dumped
    assert question["options"][0]["html"] == "yes"
    assert question["explanation_html"] == "<p>why</p>"


def test_plain_text_shortcut_renders_exactly_like_markdown(tmp_path, monkeypatch):
    from ecampus.catalog.courseformat import render

    body = """\
        ## Which statement is right? {#q}

        - [x] The Compact's follow-up — "every four years" (2022).
        - [ ] Año 2018: ¿qué? 日本語, 3.6 % +- 2 = x
          and a second line
          > Feedback: not quite.
        - [ ] e.g. Mr. Smith said 1/2

        > Explanation with a colon:
        """
    files = {"01-q.md": module("Quiz", body, kind="quiz")}
    fast = read(tmp_path, files, slug="fast-path").course.modules[0].texts
    monkeypatch.setattr(render, "_plain_paragraph", lambda lines, extra: None)
    slow = read(tmp_path, files, slug="slow-path").course.modules[0].texts
    assert fast == slow


def test_tables_get_a_focusable_scrolling_box_labelled_in_the_content_language():
    from ecampus.catalog.courseformat.render import present

    html = present("<p>x</p><table><tr><td>1</td></tr></table><table></table>", "es")
    assert html.count('<div class="table-scroll" role="region" tabindex="0"') == 2
    assert 'aria-label="Tabla 1"' in html and 'aria-label="Tabla 2"' in html
    assert html.count("</table></div>") == 2


def test_a_body_opening_with_its_own_title_does_not_repeat_it():
    from ecampus.catalog.courseformat.render import present

    assert present('<h1 id="welcome">Welcome</h1>\n<p>Hi</p>', "en", "Welcome") == "<p>Hi</p>"
    kept = '<h1 id="other">Other</h1><p>Hi</p>'
    assert present(kept, "en", "Welcome") == kept


def test_table_labels_come_from_the_catalog_and_fall_back_to_english():
    from ecampus.catalog.courseformat.render import present

    assert 'aria-label="Tabela 1"' in present("<table></table>", "pt")
    assert 'aria-label="Table 1"' in present("<table></table>", "de")
