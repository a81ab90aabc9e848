"""Split a Markdown file into YAML front matter (with the line of every key) and body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml

from .model import ProblemLog

Lines = list[tuple[int, str]]


# libyaml's parser when it is installed: several times faster on a thousand files.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe YAML with only the YAML 1.2 core scalars.

    YAML 1.1 turns ``no`` into False (a Norwegian course's ``language: no``), ``1:30``
    into 90 and ``0755`` into an octal number; authors never mean that.
    """

    yaml_implicit_resolvers: ClassVar[dict] = {}


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


@dataclass
class MarkdownFile:
    """A decoded Markdown file: front matter values, where each key is, and the body lines."""

    relpath: str
    raw: bytes
    meta: dict[str, Any] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)
    body: Lines = field(default_factory=list)
    ok: bool = True

    def line(self, key: str) -> int:
        """The line of a front-matter key (``certificate.title`` for nested keys), else 1."""
        return self.key_lines.get(key, 1)


def decode(relpath: str, raw: bytes, log: ProblemLog) -> str | None:
    """The file's text with newlines normalised, or None (and an error) if it is not UTF-8."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        log.error(relpath, line, f"file is not valid UTF-8 (byte {exc.start}); save it as UTF-8")
        return None
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_markdown(relpath: str, raw: bytes, log: ProblemLog) -> MarkdownFile | None:
    """Parse one Markdown file; None if it cannot be decoded at all.

    A broken front matter gives ``ok=False`` so callers skip checks that would only
    repeat the same mistake as missing keys.
    """
    text = decode(relpath, raw, log)
    if text is None:
        return None
    lines = text.split("\n")
    result = MarkdownFile(relpath, raw)
    if not lines or lines[0].rstrip() != "---":
        result.body = list(enumerate(lines, start=1))
        return result
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        log.error(relpath, 1, "front matter starts with '---' but has no closing '---' line")
        result.ok = False
        return result
    result.body = [(i + 1, lines[i]) for i in range(end + 1, len(lines))]
    result.ok = _parse_yaml("\n".join(lines[1:end]), result, log)
    return result


def _parse_yaml(text: str, result: MarkdownFile, log: ProblemLog) -> bool:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return True
        if not isinstance(node, yaml.MappingNode):
            log.error(result.relpath, node.start_mark.line + 2,
                      "front matter must be 'key: value' lines")
            return False
        result.meta = _mapping(loader, node, "", result, log)
        return True
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else 1
        reason = exc.problem or exc.context or "syntax error"
        log.error(result.relpath, line, f"front matter is not valid YAML: {reason}")
        return False
    finally:
        loader.dispose()


def _mapping(
    loader: _Loader, node: yaml.MappingNode, prefix: str, result: MarkdownFile, log: ProblemLog
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 2
        if not isinstance(key_node, yaml.ScalarNode):
            log.error(result.relpath, line, "front matter keys must be plain words")
            continue
        key = str(key_node.value)
        path = prefix + key
        if path in result.key_lines:
            log.error(result.relpath, line,
                      f"duplicate key '{path}' (first on line {result.key_lines[path]})")
            continue
        result.key_lines[path] = line
        if isinstance(value_node, yaml.MappingNode):
            values[key] = _mapping(loader, value_node, path + ".", result, log)
        else:
            values[key] = loader.construct_object(value_node, deep=True)
    return values
