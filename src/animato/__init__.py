"""animato: run a relationship-marketing plan as code.

Start with :func:`load_plan` (a plan folder to a validated :class:`~animato.plan.model.Plan`).
The package follows the pipeline of DESIGN.md: ``plan`` (model, validation), then ``sheet``
(documentation of the plan); the engine, delivery, tracking and reports come next.
"""

from animato.errors import AnimatoError, PlanError, Problem
from animato.plan import Plan, inspect_plan, load_plan

__all__ = ["AnimatoError", "Plan", "PlanError", "Problem", "inspect_plan", "load_plan"]
__version__ = "0.1.0"
