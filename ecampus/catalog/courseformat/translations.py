"""Rules for ``NAME.LANG.md`` files: which keys they may carry, and quizzes that must match."""

from __future__ import annotations

from typing import Any

from .frontmatter import MarkdownFile
from .model import ProblemLog
from .settings import suggest

# What a translated question must share with the original, besides its id and type.
_STRUCTURE = {
    "single": lambda q: [o["correct"] for o in q["options"]],
    "multiple": lambda q: [o["correct"] for o in q["options"]],
    "numeric": lambda q: q["numbers"],
    "short": lambda q: None,
    "ordering": lambda q: len(q["items"]),
    "matching": lambda q: len(q["pairs"]),
}


def check_translated_keys(doc: MarkdownFile, base: MarkdownFile, translatable: tuple[str, ...],
                          known: tuple[str, ...], log: ProblemLog, language: str) -> None:
    """Only ``translatable`` keys belong in a translation; the rest come from the base file.

    Repeating a base value unchanged (or the file's own language) is only a warning, as
    authors often start a translation by copying the original file.
    """
    for key, value in doc.meta.items():
        line = doc.line(key)
        if key in translatable:
            continue
        if key not in known:
            log.error(doc.relpath, line, suggest(key, known))
        elif key == "language" and value == language:
            log.warning(doc.relpath, line, "'language' is given by the file name; remove it")
        elif key in base.meta and base.meta[key] == value:
            log.warning(doc.relpath, line, f"'{key}' is taken from {base.relpath}; "
                        "remove it from the translation")
        else:
            log.error(doc.relpath, line, f"'{key}' differs from {base.relpath}; a translation "
                      f"may only set {_names(translatable)} (the rest comes from the original)")


def check_translated_quiz(original: list[dict[str, Any]], translated: list[dict[str, Any]],
                          relpath: str, base_relpath: str, log: ProblemLog) -> None:
    """A translated quiz must have the same questions and answer key; only text may differ."""
    by_id = {q["id"]: q for q in translated}
    base_ids = [q["id"] for q in original]
    for question in translated:
        if question["id"] not in {q["id"] for q in original}:
            log.error(relpath, question["line"],
                      f"question '{question['id']}' is not in {base_relpath}")
    for question in original:
        other = by_id.get(question["id"])
        if other is None:
            log.error(relpath, 1, f"question '{question['id']}' from {base_relpath} is missing "
                      "from this translation")
            continue
        for message in _differences(question, other):
            log.error(relpath, other["line"], f"question '{question['id']}': {message} "
                      f"(only the text may differ from {base_relpath})")
    shared = [q["id"] for q in translated if q["id"] in set(base_ids)]
    if shared != [i for i in base_ids if i in by_id]:
        log.warning(relpath, 1, f"questions are in a different order than in {base_relpath}")


def _differences(original: dict[str, Any], other: dict[str, Any]) -> list[str]:
    kind = original["type"]
    if other["type"] != kind:
        return [f"type is {other['type']} here but {kind} in the original"]
    found = []
    if other["weight"] != original["weight"]:
        found.append(f"weight is {other['weight']:g} here but {original['weight']:g} in the "
                     "original")
    if other["partial"] != original["partial"]:
        found.append("'partial' differs from the original")
    mine, theirs = _STRUCTURE[kind](original), _STRUCTURE[kind](other)
    if mine == theirs:
        return found
    if kind in ("single", "multiple"):
        if len(mine) != len(theirs):
            found.append(f"{len(theirs)} options here but {len(mine)} in the original")
        else:
            found.append("different options are marked correct than in the original")
    elif kind == "numeric":
        found.append("numeric answers differ from the original")
    elif kind == "ordering":
        found.append(f"{theirs} items here but {mine} in the original")
    else:
        found.append(f"{theirs} pairs here but {mine} in the original")
    return found


def _names(keys: tuple[str, ...]) -> str:
    return " and ".join(f"'{k}'" for k in keys)
