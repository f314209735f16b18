"""Message templates of a plan folder: Liquid sources with an optional YAML front matter.

A template is ``templates/<name>.<ext>`` with ``ext`` one of ``mjml``, ``html`` (email bodies) or
``liquid``/``txt`` (SMS, push, call lists, postal). Front matter between ``---`` lines holds the
email subject and preheader, themselves Liquid. The Liquid environment is sandboxed with resource
limits, since templates are written by marketers and treated as untrusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from liquid import Environment
from liquid.exceptions import LiquidError

EXTENSIONS = ("mjml", "html", "liquid", "txt")
EMAIL_EXTENSIONS = ("mjml", "html")
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


class SandboxedEnvironment(Environment):
    """Liquid with limits on loops, output size, local namespace and context depth."""

    loop_iteration_limit = 10_000
    output_stream_limit = 200_000
    local_namespace_limit = 20_000
    context_depth_limit = 30


ENV = SandboxedEnvironment()


@dataclass
class TemplateSource:
    """One template file: its body, front-matter fields, and where its body starts."""

    name: str
    path: Path
    extension: str
    body: str
    matter: dict[str, str] = field(default_factory=dict)
    body_line: int = 1

    @property
    def is_email(self) -> bool:
        """True for MJML and HTML bodies (email)."""
        return self.extension in EMAIL_EXTENSIONS


@dataclass(frozen=True)
class TemplateIssue:
    """A problem in a template: file line and column, and the message."""

    line: int
    col: int
    message: str
    hint: str = ""


def read_template(path: Path) -> TemplateSource:
    """Read a template file and split off its front matter."""
    text = path.read_text(encoding="utf-8")
    matter: dict[str, str] = {}
    body_line = 1
    match = _FRONT.match(text)
    if match:
        loaded = yaml.safe_load(match.group(1)) or {}
        if isinstance(loaded, dict):
            matter = {str(k): str(v) for k, v in loaded.items()}
        body_line = text[: match.end()].count("\n") + 1
        text = text[match.end() :]
    return TemplateSource(path.stem, path, path.suffix.lstrip("."), text, matter, body_line)


def discover(folder: Path) -> dict[str, TemplateSource]:
    """All templates of a plan folder by name (file name without its extension)."""
    found: dict[str, TemplateSource] = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lstrip(".") in EXTENSIONS:
                found.setdefault(path.stem, read_template(path))
    return found


def _line_col(source: str, index: int) -> tuple[int, int]:
    if index < 0:
        return 1, 1
    before = source[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def check(source: TemplateSource, known: dict[str, set[str] | None]) -> list[TemplateIssue]:
    """Parse a template (body and front matter) and check the variables it uses.

    ``known`` maps each allowed root variable to its allowed attributes, or ``None`` when any
    attribute is allowed (e.g. ``event`` properties checked elsewhere).
    """
    issues: list[TemplateIssue] = []
    parts = [(source.body, source.body_line)]
    parts += [(value, 1) for value in source.matter.values()]
    for text, first_line in parts:
        try:
            template = ENV.from_string(text, name=source.path.name)
        except LiquidError as exc:
            token = getattr(exc, "token", None)
            index = getattr(token, "start_index", -1) if token is not None else -1
            line, col = _line_col(text, index)
            issues.append(
                TemplateIssue(line + first_line - 1, col, f"template does not parse: {exc}")
            )
            continue
        analysis = template.analyze()
        for root, uses in analysis.globals.items():
            for use in uses:
                line, col = _line_col(text, use.span.index) if use.span else (1, 1)
                line += first_line - 1
                segments = [s for s in use.segments if isinstance(s, str)]
                if root not in known:
                    issues.append(
                        TemplateIssue(
                            line, col, f"unknown variable '{root}'", _closest(root, known)
                        )
                    )
                    continue
                attrs = known[root]
                if attrs is not None and len(segments) > 1 and segments[1] not in attrs:
                    issues.append(
                        TemplateIssue(
                            line,
                            col,
                            f"unknown variable '{root}.{segments[1]}'",
                            _closest(segments[1], attrs),
                        )
                    )
    return issues


def _closest(name: str, names: object) -> str:
    import difflib

    matches = difflib.get_close_matches(name, [str(n) for n in names], n=1)  # type: ignore[attr-defined]
    return f"did you mean '{matches[0]}'?" if matches else ""


def customer_uses(source: TemplateSource) -> list[tuple[str, int, int]]:
    """The customer fields a template reads (``customer.<field>``), each with its line and
    column: the body's first, then the front matter's (whose lines count from its value).
    """
    found: list[tuple[str, int, int]] = []
    parts = [(source.body, source.body_line)]
    parts += [(value, 1) for value in source.matter.values()]
    for text, first_line in parts:
        try:
            analysis = ENV.from_string(text, name=source.path.name).analyze()
        except LiquidError:
            continue  # reported by check()
        for use in analysis.globals.get("customer", []):
            segments = [s for s in use.segments if isinstance(s, str)]
            if len(segments) > 1:
                line, col = _line_col(text, use.span.index) if use.span else (1, 1)
                found.append((segments[1], line + first_line - 1, col))
    return found
