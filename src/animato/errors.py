"""One error root for animato, with structured problems that point at a file, line and column."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a warning) in a plan, located in its source file."""

    file: str
    line: int
    col: int
    message: str
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}"
        text = f"{where}: {self.severity}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class AnimatoError(Exception):
    """Root of every error animato raises on purpose."""


@dataclass
class PlanError(AnimatoError):
    """A plan that cannot be loaded: every problem found, not only the first."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        errors = [p for p in self.problems if p.severity == "error"]
        lines = [f"{len(errors)} problem(s) in the plan:"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class StoreError(AnimatoError):
    """The store cannot answer or accept what was asked of it."""


class DeliveryError(AnimatoError):
    """A message could not be handed to its channel."""


def excerpt(problem: Problem, root: str | None = None) -> str:
    """The problem's source line with a caret under the column, for terminal output."""
    from pathlib import Path

    path = Path(root, problem.file) if root else Path(problem.file)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    if not 1 <= problem.line <= len(lines):
        return ""
    text = lines[problem.line - 1]
    return f"    {text}\n    {' ' * (problem.col - 1)}^"
