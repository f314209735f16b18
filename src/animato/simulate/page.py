"""The simulation report: one self-contained HTML page with charts, and its tables as CSV and
Parquet beside it (``tables/<name>.csv``), for a spreadsheet or a notebook.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from animato.plan.model import Plan
from animato.simulate.charts import stacked_bars
from animato.simulate.figures import Figures

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1f2937;
margin:0;background:#f8fafc}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px}
p.lead{color:#4b5563;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px}
.card b{display:block;font-size:22px}.card span{color:#6b7280;font-size:13px}
figure{background:#fff;border:1px solid #e5e7eb;border-radius:8px;margin:12px 0;padding:8px}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:right}
.t{text-align:left}th{background:#f1f5f9}
.note{color:#6b7280;font-size:13px}
"""


def write(plan: Plan, figures: Figures, folder: Path) -> Path:
    """Write ``report.html`` and ``tables/`` into ``folder``; return the page's path."""
    tables = folder / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    for name, table in figures.tables.items():
        pq.write_table(table, tables / f"{name}.parquet")
        pcsv.write_csv(table, tables / f"{name}.csv")
    page = folder / "report.html"
    page.write_text(render(plan, figures), encoding="utf-8")
    return page


def render(plan: Plan, f: Figures) -> str:
    """The report page's HTML."""
    names = {r["action_id"]: r["name"] for r in f.tables["actions"].to_pylist()}
    volumes = f.tables["volumes"].to_pylist()
    sent = sum(r["messages"] for r in volumes)
    week_cap = f.caps.get("week")
    at_cap = _at_cap(f.tables["pressure_week"], week_cap)
    period = f"{f.start:%Y-%m-%d %H:%M} → {f.end:%Y-%m-%d %H:%M} UTC"
    cards = [
        (f"{f.customers:,}", "customers"),
        (f"{sent:,}", "messages that would go out"),
        (f"{sent / max(f.customers, 1) / f.weeks:.2f}", "messages per customer per week"),
        ("—" if at_cap is None else f"{at_cap:.1%}", f"customer-weeks at the cap ({week_cap})"),
        (
            "—" if f.centricity is None else f"{f.centricity:.0%}",
            "customer-centricity (messages triggered by the customer)",
        ),
    ]
    body = [
        f"<h1>Simulation: {escape(plan.name)}</h1>",
        f'<p class="lead">{escape(period)}. The production tick replayed over the history, '
        "messages neither rendered nor delivered.</p>",
        '<div class="cards">'
        + "".join(f'<div class="card"><b>{v}</b><span>{escape(k)}</span></div>' for v, k in cards)
        + "</div>",
        *_volume_section(f, names),
        *_pressure_section(f),
        *_decision_section(f, names),
        *_collision_section(f, names),
        *_matrix_section(f, names),
        *_engagement_section(f),
        *_coverage_section(f, names),
    ]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Simulation · {escape(plan.name)}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def _at_cap(pressure: pa.Table, cap: int | None) -> float | None:
    """Share of customer-weeks with as many messages as the weekly cap allows (or more)."""
    if cap is None:
        return None
    rows = pressure.to_pylist()
    total = sum(r["customer_weeks"] for r in rows)
    at = sum(r["customer_weeks"] for r in rows if r["messages"] >= cap)
    return at / total if total else 0.0


def table_html(head: list[str], rows: list[list[object]]) -> str:
    """An HTML table; columns that hold text are left-aligned, numbers right-aligned."""
    text = [any(isinstance(row[i], str) for row in rows) for i in range(len(head))]
    cells = "".join(
        f"<th{' class=t' if text[i] else ''}>{escape(h)}</th>" for i, h in enumerate(head)
    )
    lines = []
    for row in rows:
        tds = []
        for i, value in enumerate(row):
            shown = f"{value:,}" if isinstance(value, int) else str("—" if value is None else value)
            tds.append(f"<td{' class=t' if text[i] else ''}>{escape(shown)}</td>")
        lines.append(f"<tr>{''.join(tds)}</tr>")
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _volume_section(f: Figures, names: dict[str, str]) -> list[str]:
    volumes = f.tables["volumes"].to_pylist()
    weeks = sorted({r["week"] for r in volumes})
    by_program: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(weeks))
    for r in volumes:
        by_program[r["program_id"]][weeks.index(r["week"])] += r["messages"]
    chart = stacked_bars(
        [f"{w:%d/%m}" for w in weeks], dict(by_program), title="Messages per week, by program"
    )
    channels = sorted({r["channel"] for r in volumes})
    per_action: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(channels, 0))
    kinds = {}
    for r in volumes:
        per_action[r["action_id"]][r["channel"]] += r["messages"]
        kinds[r["action_id"]] = (r["kind"], r["program_id"])
    order = sorted(per_action, key=lambda a: -sum(per_action[a].values()))
    rows = [
        [
            names.get(a, a),
            kinds[a][0],
            kinds[a][1],
            sum(per_action[a].values()),
            *(per_action[a][c] for c in channels),
        ]
        for a in order
    ]
    return [
        "<h2>Volumes</h2>",
        f"<figure>{chart}</figure>",
        table_html(["action", "kind", "program", "messages", *channels], rows),
    ]


def _pressure_section(f: Figures) -> list[str]:
    out = ["<h2>Pressure: messages per customer</h2>"]
    for period, label in (("week", "week"), ("month", "month")):
        rows = f.tables[f"pressure_{period}"].to_pylist()
        counts = [r["messages"] for r in rows]
        cap = f.caps.get(period)
        values = [float(r[f"customer_{period}s"]) for r in rows]
        line_at = counts.index(cap) + 1 if cap in counts else None
        chart = stacked_bars(
            [str(c) for c in counts],
            {f"customer-{label}s": values},
            title=f"Customer-{label}s by number of messages received"
            + (f" (cap: {cap} a {label}, dashed)" if cap is not None else ""),
            line_at=line_at,
            height=240,
        )
        out.append(f"<figure>{chart}</figure>")
    out.append(
        '<p class="note">Calendar weeks (Monday to Sunday) and months of the plan\'s time zone; '
        "the caps hold in every rolling window, so no calendar week can exceed them.</p>"
    )
    return out


OUTCOMES = ("accepted", "combined", "postponed", "dropped", "withheld", "skipped", "failed")


def _decision_section(f: Figures, names: dict[str, str]) -> list[str]:
    rows = f.tables["decisions"].to_pylist()
    grid: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
    reasons: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        family = r["decision"].split(":")[0]
        grid[r["action_id"]][family] = grid[r["action_id"]].get(family, 0) + r["messages"]
        if ":" in r["decision"]:
            reasons[r["action_id"]][r["decision"]] = r["messages"]
    lines = []
    for action in sorted(grid, key=lambda a: -sum(grid[a].values())):
        top = sorted(reasons[action].items(), key=lambda p: (-p[1], p[0]))[:3]
        lines.append(
            [
                names.get(action, action),
                *(grid[action][o] for o in OUTCOMES),
                ", ".join(f"{reason} {n:,}" for reason, n in top),
            ]
        )
    return [
        "<h2>Decisions by reason</h2>",
        '<p class="note">Messages per action and outcome, and the reasons that held most back '
        "(every reason in tables/decisions.csv); a message postponed then sent counts under both."
        "</p>",
        table_html(["action", *OUTCOMES, "main reasons"], lines),
    ]


def _collision_section(f: Figures, names: dict[str, str]) -> list[str]:
    rows = f.tables["collisions"].to_pylist()[:15]
    lines = [
        [
            names.get(r["action_a"], r["action_a"]),
            names.get(r["action_b"], r["action_b"]),
            r["customer_days"],
            r["both_sent"],
        ]
        for r in rows
    ]
    return [
        "<h2>Collisions</h2>",
        '<p class="note">Actions that wanted the same customer on the same day, and how often '
        "both messages went out anyway.</p>",
        table_html(["action", "with", "customer-days", "both sent"], lines)
        if lines
        else '<p class="note">No two actions met the same customer on the same day.</p>',
    ]


def _matrix_section(f: Figures, names: dict[str, str]) -> list[str]:
    rows = f.tables["matrix"].to_pylist()
    lines = [
        [
            names.get(r["action_id"], r["action_id"]),
            r["kind"],
            r["target"] or "everyone",
            r["rank"],
            r["score"],
            r["target_size"],
            r["entries_per_month"],
            r["customers_reached"],
        ]
        for r in rows
    ]
    return [
        "<h2>Scenario matrix with measured volumetry</h2>",
        '<p class="note">Ranked by the declared criteria; beside them, what the data says: the '
        "target's size at the end, entries (campaigns: targeted customers) per 30 days, and the "
        "customers who would have received a message.</p>",
        table_html(
            [
                "action",
                "kind",
                "target",
                "rank",
                "score",
                "target size",
                "entries / month",
                "reached",
            ],
            lines,
        ),  # fmt: skip
    ]


def _engagement_section(f: Figures) -> list[str]:
    rows = f.tables["engagement"].to_pylist()
    assume = f.assume
    told = (
        f"open rate {assume.open_rate:.0%}, click rate {assume.click_rate:.0%}"
        if assume
        else "none"
    )
    if not rows:
        return [
            "<h2>Engagement</h2>",
            f'<p class="note">No step reads engagement: the assumption ({told}) was not used.</p>',
        ]
    lines = [
        [r["scenario_id"], r["steps"], r["messages_read"], r["recorded"], r["assumed"]]
        for r in rows
    ]
    return [
        "<h2>Engagement</h2>",
        f'<p class="note">Steps whose condition reads opens or clicks used the engagement '
        "tracking recorded where there was some, and the plan's assumption otherwise "
        f"({told}).</p>",
        table_html(["scenario", "steps", "earlier messages", "recorded", "assumed"], lines),
    ]


def _coverage_section(f: Figures, names: dict[str, str]) -> list[str]:
    rows = f.tables["data_coverage"].to_pylist()
    by_action: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        by_action[str(row["action_id"])].append(row)
    lines: list[list[object]] = []
    for action, mine in by_action.items():
        full = next((r for r in mine if r["name"] == "*"), None)
        data = ", ".join(
            f"{r['name']}{' (event)' if r['kind'] == 'event' else ''} {_share(r['share'])}"
            for r in mine
            if r["name"] != "*"
        )
        lines.append([names.get(action, action), data, _share(full["share"]) if full else "—"])
    return [
        "<h2>Data coverage</h2>",
        '<p class="note">The customer fields and events each action reads (trigger, conditions, '
        "target, templates, channel address) and the share of the base that has them. An action "
        "runs in degraded mode for the others: a trigger on a missing date never fires, a "
        "condition on a missing value is false, a template falls back on its default.</p>",
        table_html(
            ["action", "data it reads: share of customers who have it", "all fields"], lines
        ),  # fmt: skip
    ]


def _share(value: object) -> str:
    return "—" if not isinstance(value, int | float) else f"{value:.0%}"
