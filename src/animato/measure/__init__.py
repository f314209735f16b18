"""Measurement: what the plan achieved over a period, in business terms.

``groups`` builds the treated and control units of each action and what they did next;
``incrementality`` compares them (differences with 95 % intervals, incremental revenue, a
verdict); ``kpis`` counts activity, engagement and attributed business per action and channel;
``pareto`` ranks actions by incremental revenue; ``results.compute(store, start, end)`` puts
every table together (the function a page, the CLI or the dashboard calls); ``page`` writes the
HTML report and its CSV/Parquet tables.
"""
