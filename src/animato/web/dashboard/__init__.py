"""The web dashboard of ``animato serve``: the plan, its runs and its results in a browser.

Server-rendered pages (no script, no build step, nothing loaded from elsewhere) behind a login:

- :mod:`routes`: sign-in, the pages (Plan, Calendar, Pressure, Customers, Operations) and the
  operator's actions (pause or resume a scenario, run a tick, start a simulation);
- :mod:`layout`: the page around every view, tables, forms with their CSRF token;
- :mod:`journeys`: live counts per step of a scenario and its recent decisions;
- :mod:`volumes`: campaign sends with their volumes, pressure now and in the last simulation;
- :mod:`customers`: the customer search and a customer's timeline;
- :mod:`operations`: ticks, outbox backlog, delivery errors, quarantine;
- :mod:`jobs`: the operator's tick or simulation, run in the background with its progress.

The Plan and Calendar pages are the sheet site's documents (:mod:`animato.sheet`) with the live
figures added; the pressure charts are the simulation report's (:mod:`animato.simulate`).
Users and sessions: :mod:`animato.web.users`, :mod:`animato.web.sessions`.
"""
