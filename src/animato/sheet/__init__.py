"""The plan's documentation: what the seeds hand around, produced from the plan files.

``animato sheet`` writes a static site (no script, no network) with the same content in
Markdown beside each page: the overview (``overview``), one sheet per scenario and campaign
(``sheets``) with its flow diagram (``diagram``), the scenario tree per target (``tree``), the
campaign planning of a year (``planning``, from the dates of ``calendar``) and the
prioritisation matrix (``matrix``).

Pages are :class:`~animato.sheet.document.Document` objects built block by block, so HTML and
Markdown never drift apart; drawings are SVG computed in Python (``svg``); French wording lives
in ``wording``. To add a page, write a function ``plan -> Document`` and list it in
:func:`animato.sheet.site.documents`.

The date functions of ``calendar`` (:func:`campaign_dates`, :func:`blackout_period`) are pure,
depend on the plan model only, and are meant for reuse by the engine.
"""

from animato.sheet.calendar import blackout_period, campaign_dates, campaign_moments
from animato.sheet.matrix import ranking, weighted_score
from animato.sheet.site import build_site, write_site

__all__ = [
    "blackout_period",
    "build_site",
    "campaign_dates",
    "campaign_moments",
    "ranking",
    "weighted_score",
    "write_site",
]
