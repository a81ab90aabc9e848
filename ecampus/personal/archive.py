"""The parts of a person's data archive that need no database: plain data in, files out.

An attempt stores each question as drawn (its HTML, options and key) and the responses by
option or item id; `question_record` turns one into what a reader understands: the
question's text, the answer given in words, and the points it earned.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup


def text_of(html: str | None) -> str:
    """Course HTML as plain text, for a reader with no browser styles or images."""
    # Only its text is read out (a plain str, escaped again wherever it is shown).
    return Markup(html or "").striptags()  # noqa: S704


def answer_given(question: Mapping[str, Any], response: object) -> str | list[str] | None:
    """The learner's answer to one question in words, None when it was left unanswered."""
    kind = question.get("type")
    if response in (None, "", [], {}):
        return None
    if kind in ("single", "multiple"):
        options = {o["id"]: text_of(o.get("html")) for o in question.get("options", [])}
        chosen = [response] if isinstance(response, str) else list(response or [])
        words = [options.get(choice, str(choice)) for choice in chosen]
        return words[0] if kind == "single" and len(words) == 1 else words
    if kind == "ordering":
        items = {i["id"]: text_of(i.get("html")) for i in question.get("items", [])}
        if isinstance(response, Mapping):
            ordered = sorted((p, i) for i, p in response.items() if isinstance(p, int))
            return [items.get(i, str(i)) for _p, i in ordered]
        return [items.get(i, str(i)) for i in response] if isinstance(response, list) else None
    if kind == "matching" and isinstance(response, Mapping):
        pairs = {p["id"]: p for p in question.get("pairs", [])}
        return [f"{text_of(pairs[left].get('left_html'))} → "
                f"{text_of(pairs.get(right, {}).get('right_html')) or right}"
                for left, right in response.items() if left in pairs]
    return response if isinstance(response, str) else json.dumps(response, ensure_ascii=False)


def question_record(question: Mapping[str, Any], responses: Mapping[str, Any],
                    scores: Mapping[str, float] | None) -> dict[str, Any]:
    """One question of an attempt as the archive shows it."""
    qid = question.get("id")
    return {
        "question": text_of(question.get("prompt_html")),
        "type": question.get("type"),
        "answer": answer_given(question, (responses or {}).get(qid)),
        "points": None if scores is None else scores.get(qid),
        "weight": question.get("weight", 1),
    }


def as_json(data: Any) -> bytes:
    """JSON the way the archive writes it: readable, UTF-8, dates as ISO 8601."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=_iso).encode() + b"\n"


def _iso(value: Any) -> str:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def zip_files(files: Mapping[str, bytes], when: datetime) -> bytes:
    """A zip holding `files` (name -> bytes), every entry dated `when` (UTC: a zip has no
    time zone)."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
