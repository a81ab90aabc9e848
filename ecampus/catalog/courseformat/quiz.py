"""Quiz questions: one per level-2 heading, typed by the shape of its answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .blocks import (
    FENCE_RE,
    QUESTION_HEADING_RE,
    Block,
    Item,
    Section,
    split_blocks,
    split_sections,
    unquote,
)
from .frontmatter import Lines
from .model import ProblemLog
from .render import Renderer

QUESTION_ID_RE = re.compile(r"^[a-z0-9-]+$")
_OPTIONS_RE = re.compile(r"^(.*?)[ \t]*\{([^{}]*)\}$")
_NUMBER = r"[-+]?(?:\d+(?:[.,]\d+)?|[.,]\d+)"
_NUMERIC_RE = re.compile(rf"^({_NUMBER})(?:[ \t]*(?:±|\+/-|\+-)[ \t]*({_NUMBER}))?$")
_TOLERANCE_RE = re.compile(r"(?:±|\+/-|\+-)")
# Text that would start a Markdown block (list, heading, quote, admonition, definition,
# rule or fence) when a heading or an option is rendered on its own as a paragraph.
_BLOCK_START_RE = re.compile(
    r"^(?:[-*+](?=\s)|[#>]|!(?=!!)|\[(?=[^\]]*\]:)|\*(?=\[)|`(?=``)|~(?=~~)"
    r"|[-*_](?=(?: ?[-*_]){2,} *$)|\d+(?=\.\s))"
)
_SHAPE_NAMES = {
    "choice": "a task list", "matching": "'left => right' pairs", "ordering": "a numbered list",
    "value": "'= value' lines", "mixed": "a list that mixes shapes",
}
ANSWER_HELP = ("a task list ('- [x]'), '= value' lines, a numbered list or "
               "'- left => right' pairs")


@dataclass
class QuizPart:
    """A parsed quiz file: the introduction's HTML and its questions."""

    intro_html: str
    questions: list[dict[str, Any]]
    clean: bool


def parse_quiz(body: Lines, relpath: str, renderer: Renderer, log: ProblemLog) -> QuizPart:
    """Parse and render a quiz body; problems go to ``log`` with their line numbers."""
    errors_before = log.error_count()
    intro, sections, definitions = split_sections(body)
    intro_html = renderer.render(intro, relpath, definitions)
    if not sections:
        log.error(relpath, body[0][0] if body else 1,
                  "quiz has no questions; start each question with a '## ' heading")
    builder = _QuestionBuilder(relpath, renderer, log, definitions)
    questions = []
    for position, section in enumerate(sections, start=1):
        question = builder.build(section, position)
        if question is not None:
            questions.append(question)
    _check_ids(questions, relpath, log)
    return QuizPart(intro_html, questions, log.error_count() == errors_before)


def heading_options_in_lesson(body: Lines) -> int | None:
    """The line of a ``## ... {#id}`` heading in a lesson, a sign of a forgotten 'kind: quiz'."""
    fence = None
    for number, text in body:
        if fence:
            fence = None if text.strip().startswith(fence) else fence
        elif match := FENCE_RE.match(text):
            fence = match.group(1)
        elif (match := QUESTION_HEADING_RE.match(text)) and match.group(1):
            options = _OPTIONS_RE.match(match.group(1))
            if options and options.group(2).strip().startswith("#"):
                return number
    return None


def _check_ids(questions: list[dict[str, Any]], relpath: str, log: ProblemLog) -> None:
    seen: dict[str, int] = {}
    for question in questions:
        qid = question["id"]
        if qid in seen:
            log.error(relpath, question["line"],
                      f"question id '{qid}' is already used on line {seen[qid]}")
        else:
            seen[qid] = question["line"]


class _QuestionBuilder:
    def __init__(self, relpath: str, renderer: Renderer, log: ProblemLog,
                 definitions: list[str]) -> None:
        self.relpath = relpath
        self.renderer = renderer
        self.log = log
        self.definitions = definitions
        self.warned_positional = False

    def error(self, line: int, message: str) -> None:
        self.log.error(self.relpath, line, message)

    def inline(self, lines: Lines) -> str:
        (number, first), *rest = lines
        return self.renderer.render_inline([(number, _escape_block_start(first)), *rest],
                                           self.relpath, self.definitions)

    def block(self, lines: Lines) -> str | None:
        if not any(text.strip() for _, text in lines):
            return None
        return self.renderer.render(lines, self.relpath, self.definitions)

    def build(self, section: Section, position: int) -> dict[str, Any] | None:
        line = section.line
        prompt, qid, weight, partial = self.heading(section, position)
        if not prompt:
            self.error(line, "question heading has no text; the heading is the question's prompt")
        blocks = split_blocks(section.lines)
        answers = self.answer_block(blocks, line)
        if answers is None:
            return None
        # The heading's text can begin like a Markdown block ("1. ..."); keep it a paragraph.
        prompt_lines = [(line, _escape_block_start(prompt)), (line, "")]
        prompt_lines += [(n, t) for n, t in section.lines if n < answers.line]
        after = [(n, unquote(t)) for n, t in section.lines if n > answers.end]
        question: dict[str, Any] = {
            "id": qid, "type": "", "position": position, "weight": weight, "partial": False,
            "line": line, "prompt_html": self.renderer.render(prompt_lines, self.relpath,
                                                              self.definitions),
            "explanation_html": self.block(after),
        }
        filled = {
            "choice": self.choice, "value": self.values, "ordering": self.ordering,
            "matching": self.matching,
        }[answers.shape](answers, question)
        if not filled:
            return None
        if partial:
            if question["type"] == "multiple":
                question["partial"] = True
            else:
                self.log.warning(self.relpath, line, "'partial' only applies to questions with "
                                 "two or more correct options; it is ignored here")
        return question

    def heading(self, section: Section, position: int) -> tuple[str, str, float, bool]:
        text, qid, weight, partial = section.heading, None, 1.0, False
        if match := _OPTIONS_RE.match(text):
            text = match.group(1)
            for option in match.group(2).split():
                if option.startswith("#"):
                    if qid is not None:
                        self.error(section.line,
                                   f"question has two ids: '{qid}' and '{option[1:]}'")
                    elif not QUESTION_ID_RE.match(option[1:]):
                        self.error(section.line, f"question id '{option[1:]}' must use only "
                                   "lowercase letters, digits and hyphens")
                    qid = option[1:]
                elif option.startswith("weight="):
                    weight = self.weight(option[7:], section.line)
                elif option == "partial":
                    partial = True
                else:
                    self.error(section.line, f"unknown question option '{option}'; "
                               "use {#id weight=N partial}")
        if qid is None:
            qid = f"q{position}"
            if not self.warned_positional:
                self.warned_positional = True
                self.log.warning(self.relpath, section.line,
                                 "question has no {#id}, so it gets a positional id "
                                 f"('{qid}'); positional ids break attempt history when "
                                 "questions are reordered")
        return text.strip(), qid, weight, partial

    def weight(self, raw: str, line: int) -> float:
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        if not value > 0 or value == float("inf"):
            self.error(line, f"weight '{raw}' must be a positive number")
            return 1.0
        return value

    def answer_block(self, blocks: list[Block], line: int) -> Block | None:
        content = [b for b in blocks if b.kind != "quote"]
        last = blocks.index(content[-1]) if content else -1
        earlier = [b for b in blocks[:last] if b.shape in ("choice", "value", "matching", "mixed")]
        answers = blocks[last] if content else None
        if answers is None or answers.shape in ("other", "bullet"):
            if earlier:
                self.error(answers.line if answers else line,
                           "only a blockquote ('> ...', the explanation) may follow the answers")
            else:
                self.error(line, f"question has no recognisable answers; write {ANSWER_HELP}")
            return None
        if answers.shape == "mixed":
            self.error(_mixed_item_line(answers), "answer list mixes shapes: use either task "
                       "items ('- [ ]', '- [x]') or 'left => right' pairs, not both with plain "
                       "items")
            return None
        if earlier:
            first = earlier[0]
            self.error(first.line, f"question mixes answer shapes: {_SHAPE_NAMES[first.shape]} "
                       f"and {_SHAPE_NAMES[answers.shape]}")
            return None
        return answers

    def choice(self, block: Block, question: dict[str, Any]) -> bool:
        options = []
        for index, item in enumerate(block.items):
            if not item.text[0][1].strip():
                self.error(item.line, "option has no text")
            options.append({
                "id": _letters(index), "html": self.inline(item.text),
                "correct": bool(item.checked), "feedback_html": self.block(item.feedback),
            })
        correct = sum(o["correct"] for o in options)
        if correct == 0:
            self.error(block.line, "no option is marked correct; tick the right one with '- [x]'")
        if len(options) < 2:
            self.error(block.line, "a choice question needs at least two options")
        question["type"] = "single" if correct == 1 else "multiple"
        question["options"] = options
        return correct > 0 and len(options) >= 2

    def values(self, block: Block, question: dict[str, Any]) -> bool:
        raw = []
        for number, text in block.lines:
            value = text.strip()[1:].strip()
            if not value:
                self.error(number, "'=' line has no value")
            raw.append((number, value))
        numeric = [_NUMERIC_RE.match(v.replace("−", "-")) for _, v in raw]
        if all(numeric):
            question["type"] = "numeric"
            question["numbers"] = [_number(m) for m in numeric if m]
            return all(v for _, v in raw)
        for (number, value), match in zip(raw, numeric, strict=True):
            if not match and _TOLERANCE_RE.search(value):
                self.error(number, f"'{value}' looks like a number with a tolerance, but "
                           "it is not a number; a numeric answer needs every '=' value numeric")
                return False
        question["type"] = "short"
        question["accepted"] = list(dict.fromkeys(v for _, v in raw if v))
        return all(v for _, v in raw)

    def ordering(self, block: Block, question: dict[str, Any]) -> bool:
        if not self._plain_items(block, "an ordering question", 2):
            return False
        question["type"] = "ordering"
        question["items"] = [{"id": str(i), "html": self.inline(item.text)}
                             for i, item in enumerate(block.items, start=1)]
        return True

    def matching(self, block: Block, question: dict[str, Any]) -> bool:
        if not self._plain_items(block, "a matching question", 2):
            return False
        pairs, rights, ok = [], {}, True
        for i, item in enumerate(block.items, start=1):
            (number, first), *rest = item.text
            left, _, right = first.partition("=>")
            if not left.strip() or not right.strip():
                self.error(number, "a pair needs text on both sides of '=>'")
                ok = False
            key = " ".join(right.split()).casefold()
            if key in rights:
                self.error(number, f"right-hand side '{right.strip()}' is also used on line "
                           f"{rights[key]}; each pair needs a distinct answer")
                ok = False
            rights.setdefault(key, number)
            pairs.append({"id": str(i), "left_html": self.inline([(number, left.strip())]),
                          "right_html": self.inline([(number, right.strip()), *rest])})
        question["type"] = "matching"
        question["pairs"] = pairs
        return ok

    def _plain_items(self, block: Block, kind: str, minimum: int) -> bool:
        ok = True
        for item in block.items:
            if item.feedback:
                self.error(item.feedback[0][0], "feedback ('> ...' under an item) is only "
                           "possible for the options of a choice question")
                ok = False
            if not item.text[0][1].strip():
                self.error(item.line, "list item has no text")
                ok = False
        if len(block.items) < minimum:
            self.error(block.line, f"{kind} needs at least {minimum} items")
            ok = False
        return ok


def _number(match: re.Match[str]) -> dict[str, float]:
    value = float(match.group(1).replace(",", "."))
    tolerance = abs(float(match.group(2).replace(",", "."))) if match.group(2) else 0.0
    return {"value": value, "tolerance": tolerance}


def _letters(index: int) -> str:
    """Option ids a..z, then aa, ab... so that any number of options has an id."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(ord("a") + rem) + name
    return name


def _escape_block_start(text: str) -> str:
    """Keep a single line a paragraph: ``1. Foo`` or ``# of people`` must not become blocks."""
    def escape(match: re.Match[str]) -> str:
        found = match.group(0)
        return found + "\\" if found[0].isdigit() else "\\" + found
    return _BLOCK_START_RE.sub(escape, text, count=1)


def _mixed_item_line(block: Block) -> int:
    items: list[Item] = block.items
    if any(item.checked is not None for item in items):
        return next(item.line for item in items if item.checked is None)
    arrows = [("=>" in item.text[0][1]) for item in items]
    majority = sum(arrows) * 2 >= len(arrows)
    return next(item.line for item, arrow in zip(items, arrows, strict=True) if arrow != majority)
