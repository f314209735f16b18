"""Scaffold a new plan folder from the demo plan shipped with animato."""

from __future__ import annotations

import shutil
from pathlib import Path

from animato.errors import AnimatoError

DEMO = Path(__file__).parent / "examples" / "retail"


def init(target: str | Path, *, name: str | None = None) -> Path:
    """Copy the demo plan into ``target`` (which must be empty or absent) and return it."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise AnimatoError(f"{target} is not empty: choose a new folder for the plan")
    shutil.copytree(DEMO, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".animato"))
    if name:
        plan = target / "plan.yaml"
        lines = plan.read_text(encoding="utf-8").splitlines(keepends=True)
        lines = [f"name: {name}\n" if line.startswith("name:") else line for line in lines]
        plan.write_text("".join(lines), encoding="utf-8")
    return target
