"""The block structure of a quiz: sections per question, lists and their items, quotes.

Quiz answers are recognised from the source lines rather than from rendered HTML, so
every question, option and feedback keeps the line it was written on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .frontmatter import Lines

FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
QUESTION_HEADING_RE = re.compile(r"^ {0,3}##(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
DEFINITION_RE = re.compile(r"^ {0,3}(?:\[[^\]^][^\]]*\]|\*\[[^\]]+\]):")
_TASK_RE = re.compile(r"^( {0,3}[-*+][ \t]+)\[([ xX])\](?:[ \t]+(.*?))?[ \t]*$")
_BULLET_RE = re.compile(r"^( {0,3}[-*+][ \t]+)(.*?)[ \t]*$")
_NUMBERED_RE = re.compile(r"^( {0,3}\d{1,9}[.)][ \t]+)(.*?)[ \t]*$")
_EQUALS_RE = re.compile(r"^ {0,3}=(?!=+[ \t]*$)[ \t]*(.*?)[ \t]*$")
_QUOTE_RE = re.compile(r"^ {0,3}>")
_UNQUOTE_RE = re.compile(r"^ {0,3}> ?")


def unquote(text: str) -> str:
    """A blockquote line without its ``>`` marker."""
    return _UNQUOTE_RE.sub("", text, count=1)


def _indent(text: str) -> int:
    expanded = text.expandtabs(4)
    return len(expanded) - len(expanded.lstrip())


@dataclass
class Item:
    """One list item: its text lines, an indented blockquote (feedback), a task box."""

    line: int
    text: Lines
    feedback: Lines = field(default_factory=list)
    checked: bool | None = None
    width: int = 2


@dataclass
class Block:
    """A run of lines that Markdown would treat as one block (or one list)."""

    kind: str  # "bullet", "numbered", "equals", "quote", "other"
    line: int
    end: int
    lines: Lines = field(default_factory=list)
    items: list[Item] = field(default_factory=list)

    @property
    def shape(self) -> str:
        """What the block is as an answer: choice, matching, ordering, value, or not one."""
        if self.kind == "numbered":
            return "ordering"
        if self.kind == "equals":
            return "value"
        if self.kind != "bullet":
            return self.kind
        tasks = sum(item.checked is not None for item in self.items)
        if tasks == len(self.items):
            return "choice"
        if tasks:
            return "mixed"
        arrows = sum("=>" in item.text[0][1] for item in self.items)
        if arrows == len(self.items):
            return "matching"
        return "mixed" if arrows else "bullet"


@dataclass
class Section:
    """A question: its heading line and text, and the lines up to the next question."""

    line: int
    heading: str
    lines: Lines


def split_sections(body: Lines) -> tuple[Lines, list[Section], list[str]]:
    """The introduction, one section per ``## `` heading, and link/abbreviation definitions."""
    intro: Lines = []
    sections: list[Section] = []
    definitions: list[str] = []
    fence: str | None = None
    for number, text in body:
        target = sections[-1].lines if sections else intro
        if fence:
            target.append((number, text))
            if text.strip().startswith(fence):
                fence = None
            continue
        if match := FENCE_RE.match(text):
            fence = match.group(1)[0] * len(match.group(1))
        elif DEFINITION_RE.match(text):
            definitions.append(text)
            target.append((number, ""))
            continue
        elif match := QUESTION_HEADING_RE.match(text):
            sections.append(Section(number, (match.group(1) or "").strip(), []))
            continue
        target.append((number, text))
    return intro, sections, definitions


def split_blocks(lines: Lines) -> list[Block]:
    """Group a question's lines into blocks the way Markdown would, keeping list items."""
    blocks: list[Block] = []
    fence: str | None = None
    blank = False
    for number, text in lines:
        cur = blocks[-1] if blocks else None
        if fence and cur is not None:
            cur.lines.append((number, text))
            cur.end = number
            if text.strip().startswith(fence):
                fence = None
            continue
        if not text.strip():
            blank = True
            continue
        in_list = cur is not None and cur.kind in ("bullet", "numbered")
        if in_list and _indent(text) >= 2:
            _continue_item(cur, number, text, blank)
        elif item := _new_item(number, text):
            kind, new = item
            if cur is None or cur.kind != kind:
                blocks.append(Block(kind, number, number))
                cur = blocks[-1]
            cur.items.append(new)
            cur.end = number
        elif _EQUALS_RE.match(text):
            if cur is None or cur.kind != "equals":
                blocks.append(Block("equals", number, number))
            blocks[-1].lines.append((number, text))
            blocks[-1].end = number
        elif in_list and not blank and not _QUOTE_RE.match(text):
            _continue_item(cur, number, text, blank)  # a lazy continuation line
        else:
            kind = "quote" if _QUOTE_RE.match(text) else "other"
            lazy = cur is not None and cur.kind in ("quote", "other") and kind == "other"
            if cur is None or blank or (cur.kind != kind and not lazy):
                blocks.append(Block(kind, number, number))
            blocks[-1].lines.append((number, text))
            blocks[-1].end = number
            if match := FENCE_RE.match(text):
                fence = match.group(1)[0] * len(match.group(1))
        blank = False
    return blocks


def _new_item(number: int, text: str) -> tuple[str, Item] | None:
    if match := _TASK_RE.match(text):
        item = Item(number, [(number, match.group(3) or "")], checked=match.group(2) != " ")
        item.width = len(match.group(1).expandtabs(4))
        return "bullet", item
    for kind, regex in (("bullet", _BULLET_RE), ("numbered", _NUMBERED_RE)):
        if match := regex.match(text):
            return kind, Item(number, [(number, match.group(2))],
                              width=len(match.group(1).expandtabs(4)))
    return None


def _continue_item(block: Block, number: int, text: str, blank: bool) -> None:
    item = block.items[-1]
    expanded = text.expandtabs(4)
    dedented = expanded[min(_indent(text), item.width):]
    if _QUOTE_RE.match(dedented) or (item.feedback and not blank):
        target = item.feedback
        dedented = unquote(dedented)
    else:
        target = item.text
    if blank and target:
        target.append((number - 1, ""))
    target.append((number, dedented))
    block.end = number
