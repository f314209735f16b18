"""Load a plan folder (``plan.yaml``, ``programs/*.yaml``, ``templates/``) into a :class:`Plan`.

Every problem is collected with its file, line and column, then raised together as a
:class:`~animato.errors.PlanError`; warnings travel alongside in :class:`Inspection`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from animato.errors import PlanError, Problem
from animato.plan import model as m
from animato.plan.source import Located, Path_, YamlProblem, load_yaml
from animato.plan.templates import TemplateSource, discover


@dataclass(frozen=True)
class Origin:
    """Where a plan object was written: its file's located data and its path inside it."""

    source: Located
    path: Path_

    def at(self, *more: str | int) -> Origin:
        """The origin of a value inside this object."""
        return Origin(self.source, (*self.path, *more))


@dataclass
class Inspection:
    """The result of reading a plan folder: the plan (if it loaded), problems and warnings."""

    folder: Path
    plan: m.Plan | None = None
    problems: list[Problem] = field(default_factory=list)
    templates: dict[str, TemplateSource] = field(default_factory=dict)
    plan_origin: Origin | None = None
    program_origins: dict[str, Origin] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        """Problems that stop the plan from running."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems worth reading that do not stop the plan."""
        return [p for p in self.problems if p.severity == "warning"]


def _vocabulary() -> set[str]:
    words: set[str] = set()
    for obj in vars(m).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not BaseModel:
            for name, info in obj.model_fields.items():
                words.add(info.alias or name)
    return words


VOCABULARY = _vocabulary()


def problem_at(
    origin: Origin,
    message: str,
    *,
    hint: str = "",
    key: bool = False,
    severity: str = "error",
    offset: tuple[int, int] | None = None,
) -> Problem:
    """A problem located at an origin; ``offset`` is a (line, col) inside a condition string."""
    line, col = origin.source.position(origin.path, key=key)
    if offset is not None:
        sub_line, sub_col = offset
        if sub_line > 1:
            line, col = line + sub_line - 1, sub_col
        else:
            col += sub_col - 1 + (1 if origin.source.style(origin.path) else 0)
    return Problem(origin.source.file, line, col, message, hint, severity)


def _shape_problems(exc: ValidationError, origin: Origin) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = origin.source.resolve((*origin.path, *loc))
        here = Origin(origin.source, path)
        kind, msg = err["type"], err["msg"].removeprefix("Value error, ")
        if kind == "extra_forbidden":
            name = str(loc[-1])
            here = Origin(origin.source, (*path, name) if path and path[-1] != name else path)
            matches = difflib.get_close_matches(name, sorted(VOCABULARY), n=1)
            hint = f"did you mean '{matches[0]}'?" if matches else ""
            out.append(problem_at(here, f"unknown key '{name}'", hint=hint, key=True))
        elif kind == "missing":
            out.append(problem_at(here, f"missing required key '{loc[-1]}'", key=True))
        else:
            where = ".".join(str(p) for p in path[len(origin.path) :]) or "value"
            out.append(problem_at(here, f"{where}: {msg}"))
    return out


def _validate(cls: type[BaseModel], data: Any, origin: Origin) -> tuple[Any, list[Problem]]:
    try:
        return cls.model_validate(data), []
    except ValidationError as exc:
        return None, _shape_problems(exc, origin)


def _read(path: Path, folder: Path) -> tuple[Located | None, list[Problem]]:
    display = str(path.relative_to(folder.parent)) if folder.parent in path.parents else str(path)
    try:
        return load_yaml(path, display), []
    except YamlProblem as exc:
        return None, [Problem(exc.file, exc.line, exc.col, exc.message)]


def _program_sources(
    folder: Path, plan_src: Located, problems: list[Problem]
) -> list[tuple[Any, Origin]]:
    raw = plan_src.data.get("programs") if isinstance(plan_src.data, dict) else None
    listed: list[tuple[Any, Origin]] = []
    if raw is None:
        for path in sorted((folder / "programs").glob("*.yaml")):
            src, errs = _read(path, folder)
            problems.extend(errs)
            if src is not None:
                listed.append((src.data, Origin(src, ())))
        return listed
    if not isinstance(raw, list):
        origin = Origin(plan_src, ("programs",))
        problems.append(
            problem_at(origin, "programs: expected a list of program files or programs")
        )
        return listed
    for i, item in enumerate(raw):
        origin = Origin(plan_src, ("programs", i))
        if isinstance(item, str):
            path = folder / "programs" / f"{item}.yaml"
            if not path.is_file():
                known = [p.stem for p in (folder / "programs").glob("*.yaml")]
                matches = difflib.get_close_matches(item, known, n=1)
                hint = f"did you mean '{matches[0]}'?" if matches else f"expected {path}"
                problems.append(
                    problem_at(origin, f"no program file programs/{item}.yaml", hint=hint)
                )
                continue
            src, errs = _read(path, folder)
            problems.extend(errs)
            if src is not None:
                listed.append((src.data, Origin(src, ())))
        else:
            listed.append((item, origin))
    return listed


def inspect_plan(folder: str | Path) -> Inspection:
    """Read and check a plan folder; never raises for problems in the plan, it lists them."""
    from animato.plan.validation import validate

    folder = Path(folder)
    result = Inspection(folder)
    plan_file = folder / "plan.yaml"
    if not plan_file.is_file():
        what = "folder does not exist" if not folder.is_dir() else "no plan.yaml in the folder"
        result.problems.append(
            Problem(str(plan_file), 1, 1, what, "create one with 'animato init'")
        )
        return result
    plan_src, errs = _read(plan_file, folder)
    result.problems.extend(errs)
    if plan_src is None:
        return result
    if not isinstance(plan_src.data, dict):
        result.problems.append(Problem(plan_src.file, 1, 1, "plan.yaml must be a mapping of keys"))
        return result
    plan_origin = Origin(plan_src, ())
    result.plan_origin = plan_origin
    head = {k: v for k, v in plan_src.data.items() if k != "programs"}
    plan, errs = _validate(m.Plan, head, plan_origin)
    result.problems.extend(errs)
    programs = []
    for data, origin in _program_sources(folder, plan_src, result.problems):
        program, errs = _validate(m.Program, data, origin)
        result.problems.extend(errs)
        if program is not None:
            programs.append(program)
            result.program_origins.setdefault(program.id, origin)
    result.templates = discover(folder / "templates")
    if plan is not None and not result.errors:
        result.plan = plan.model_copy(update={"programs": programs}).located(folder)
        result.problems.extend(validate(result))
        if result.errors:
            result.plan = None
    result.problems.sort(key=lambda p: (p.severity != "error", p.file, p.line, p.col))
    return result


def load_plan(folder: str | Path) -> m.Plan:
    """Load a plan folder; raise :class:`PlanError` listing every problem if it is not valid.

    Example::

        plan = animato.load_plan("examples/retail")
    """
    result = inspect_plan(folder)
    if result.plan is None:
        raise PlanError(result.problems)
    return result.plan
