"""The plan as code: model, loading, validation, condition language, templates, seasons.

``loader`` reads a folder and locates every value; ``model`` checks shapes; ``validation`` checks
the whole plan (references, ``conditions`` through ``checker``, ``templates``) and reports every
problem at once with file, line and column.
"""

from animato.plan.loader import Inspection, inspect_plan, load_plan
from animato.plan.model import Plan

__all__ = ["Inspection", "Plan", "inspect_plan", "load_plan"]
