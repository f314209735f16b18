"""The KPI report: one self-contained HTML page (inline SVG charts, the simulation report's
style) and its tables as CSV and Parquet beside it. :func:`sections` gives the page's body
alone, for the dashboard to embed.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from animato.measure.results import Results
from animato.plan.model import Plan
from animato.simulate.charts import stacked_bars
from animato.simulate.page import CSS, table_html

VERDICT_CSS = """
.v{font-weight:600}.v-proven{color:#059669}.v-harmful{color:#dc2626}.v-unsure{color:#d97706}
"""


def write(plan: Plan, results: Results, folder: Path) -> Path:
    """Write ``report.html`` and ``tables/`` into ``folder``; return the page's path."""
    tables = folder / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    for name, table in results.tables.items():
        pq.write_table(table, tables / f"{name}.parquet")
        pcsv.write_csv(table, tables / f"{name}.csv")
    page = folder / "report.html"
    page.write_text(render(plan, results), encoding="utf-8")
    return page


def render(plan: Plan, results: Results) -> str:
    """The report page's HTML."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Results · {escape(plan.name)}</title><style>{CSS}{VERDICT_CSS}</style></head>"
        f"<body><main>{''.join(sections(plan, results))}</main></body></html>\n"
    )


def _money(value: float | None, currency: str) -> str:
    return "—" if value is None else f"{value:,.0f} {currency}"


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}%}"


def _pp(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f} pt"


def _verdict(text: str) -> str:
    css = {"proven incremental": "proven", "harmful": "harmful", "not yet significant": "unsure"}
    return f'<span class="v v-{css.get(text, "none")}">{escape(text)}</span>'


def sections(plan: Plan, results: Results) -> list[str]:
    """The report's body: title, cards, then one section per view."""
    cur = results.currency
    actions = results.rows("actions")
    names = {r["action_id"]: r["name"] for r in actions} | {"plan": "Whole plan"}
    compared = results.rows("incrementality")
    whole = next((r for r in compared if r["action_id"] == "plan"), None)
    proven = sum(r["verdict"] == "proven incremental" for r in actions)
    measured = [r["incremental_revenue"] for r in actions if r["incremental_revenue"] is not None]
    period = f"{results.start:%Y-%m-%d %H:%M} → {results.end:%Y-%m-%d %H:%M} UTC"
    cards = [
        (f"{sum(r['entrants'] for r in actions):,}", "entrants (control groups included)"),
        (
            f"{sum(r['scheduled'] for r in actions):,}",
            f"messages scheduled ({sum(r['sent'] for r in actions):,} sent so far)",
        ),
        (_money(sum(r["revenue"] for r in actions), cur), "revenue attributed to messages"),
        (_money(sum(measured) if measured else None, cur), "incremental revenue (actions)"),
        (f"{proven} of {len(actions)}", "actions proven incremental"),
    ]
    if whole is not None and whole["incremental_revenue"] is not None:
        cards.append(
            (_money(whole["incremental_revenue"], cur), "incremental revenue vs global control")
        )
    body = [
        f"<h1>Results: {escape(plan.name)}</h1>",
        f'<p class="lead">{escape(period)}. Business figures first: incremental revenue and '
        "conversion measured against the control groups, not open rates.</p>",
        '<div class="cards">'
        + "".join(
            f'<div class="card"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for v, k in cards
        )
        + "</div>",
        *_incrementality(results, names),
        *_pareto(results, names),
        *_programs(results),
        *_business(results),
        *_variants(results, names),
        *_scores(results),
        *_activity(results, names),
        *_kpis(results, names),
    ]
    return body


def _incrementality(results: Results, names: dict[str, str]) -> list[str]:
    cur = results.currency
    rows = results.rows("incrementality")
    shown = [r for r in rows if r["control"] == "holdout" and r["control_size"]][:12]
    chart = stacked_bars(
        [r["action_id"][:12] for r in shown],
        {
            "treated": [r["treated_rate"] * 100 for r in shown],
            "control": [r["control_rate"] * 100 for r in shown],
        },
        title="Conversion to the goal (%), treated against the scenario's holdout",
        grouped=True,
    )
    lines: list[list[Any]] = [
        [
            names.get(r["action_id"], r["action_id"]),
            r["control"],
            r["treated"],
            r["control_size"],
            _pct(r["treated_rate"]),
            _pct(r["control_rate"]),
            _pp(r["conversion_uplift"]),
            f"[{_pp(r['conversion_uplift_low'])}, {_pp(r['conversion_uplift_high'])}]",
            _money(r["incremental_revenue"], cur),
            f"[{_money(r['incremental_revenue_low'], cur)}, "
            f"{_money(r['incremental_revenue_high'], cur)}]",
            "—" if r["p_value"] is None else f"{r['p_value']:.3f}",
            r["verdict"],
        ]
        for r in rows
    ]
    table = table_html(
        ["action", "control", "treated", "control n", "treated conv.", "control conv.",
         "uplift", "95 % CI", "incremental revenue", "95 % CI", "p", "verdict"],
        lines,
    )  # fmt: skip
    for text in ("proven incremental", "not yet significant", "harmful"):
        table = table.replace(f"<td class=t>{text}</td>", f"<td class=t>{_verdict(text)}</td>")
    return [
        "<h2>Incrementality</h2>",
        '<p class="note">Each unit (an enrolment, a campaign message) is followed for the '
        "goal's window whatever happened to its messages, so treated and control compare like "
        "with like. Uplift: difference of conversion rates (Newcombe's 95 % interval); "
        "incremental revenue: difference of revenue per unit (Welch's 95 % interval) times the "
        'treated units. "Proven incremental" when the whole conversion interval is above zero '
        'and Fisher\'s exact test agrees (p &lt; 0.05), "harmful" when it is below, otherwise '
        '"not yet significant". The whole plan: customers in the global control against all '
        "others.</p>",
        f"<figure>{chart}</figure>" if shown else "",
        table,
    ]


def _pareto(results: Results, names: dict[str, str]) -> list[str]:
    rows = results.rows("pareto")
    if not rows:
        return []
    positive = [r for r in rows if r["incremental_revenue"] > 0]
    chart = stacked_bars(
        [names.get(r["action_id"], r["action_id"])[:16] for r in positive],
        {
            "core (80 %)": [r["incremental_revenue"] if r["core"] else 0.0 for r in positive],
            "others": [0.0 if r["core"] else r["incremental_revenue"] for r in positive],
        },
        title=f"Incremental revenue ({results.currency}) by action, largest first",
    )
    core = [names.get(r["action_id"], r["action_id"]) for r in rows if r["core"]]
    lines = [
        [
            names.get(r["action_id"], r["action_id"]),
            _money(r["incremental_revenue"], results.currency),
            _pct(r["share"]),
            _pct(r["cumulative_share"]),
            "yes" if r["core"] else "",
        ]
        for r in rows
    ]
    return [
        "<h2>Pareto: who makes 80 % of the incremental revenue</h2>",
        f'<p class="note">{len(core)} of {len(rows)} measured actions make 80 % of the '
        f"positive incremental revenue: {escape(', '.join(core)) or 'none'}.</p>",
        f"<figure>{chart}</figure>" if positive else "",
        table_html(["action", "incremental revenue", "share", "cumulative", "core"], lines),
    ]


def _programs(results: Results) -> list[str]:
    cur = results.currency
    lines = [
        [
            r["name"],
            r["entrants"],
            r["sent"],
            _pct(r["open_rate"]),
            _pct(r["click_rate"]),
            _pct(r["conversion_rate"]),
            _money(r["revenue"], cur),
            _money(r["incremental_revenue"], cur),
            "—"
            if r["incremental_revenue_low"] is None
            else f"[{_money(r['incremental_revenue_low'], cur)}, "
            f"{_money(r['incremental_revenue_high'], cur)}]",
        ]
        for r in results.rows("programs")
    ]
    return [
        "<h2>Programs</h2>",
        '<p class="note">The roll-up of each program\'s scenarios and campaigns: counts added '
        "up, rates recomputed from them, incremental revenues summed (intervals combined as "
        "independent).</p>",
        table_html(
            [
                "program",
                "entrants",
                "sent",
                "open",
                "click",
                "conversion",
                "attributed revenue",
                "incremental revenue",
                "95 % CI",
            ],
            lines,
        ),  # fmt: skip
    ]


def _business(results: Results) -> list[str]:
    cur = results.currency
    lines = [
        [
            r["name"],
            r["kind"],
            r["program_id"],
            r["entrants"],
            r["treated"],
            _pct(r["conversion_rate"]),
            r["conversions"],
            _money(r["revenue"], cur),
            _money(r["average_basket"], cur),
        ]
        for r in results.rows("actions")
    ]
    return [
        "<h2>Business per scenario and campaign</h2>",
        '<p class="note">Conversion rate: treated entrants who reached the goal within its '
        "window. Attributed: goal events credited to the last message of the action within its "
        "attribution window, their revenue and average basket.</p>",
        table_html(
            [
                "action",
                "kind",
                "program",
                "entrants",
                "treated",
                "conversion",
                "attributed",
                "revenue",
                "average basket",
            ],
            lines,
        ),  # fmt: skip
    ]


def _activity(results: Results, names: dict[str, str]) -> list[str]:
    actions = {r["action_id"]: r for r in results.rows("actions")}
    lines = [
        [
            names.get(r["action_id"], r["action_id"]),
            r["channel"],
            r["scheduled"],
            r["sent"],
            r["delivered"],
            r["bounced"],
            _pct(r["opened"] / r["delivered"] if r["delivered"] else None),
            _pct(r["clicked"] / r["delivered"] if r["delivered"] else None),
            _pct(r["unsubscribed"] / r["delivered"] if r["delivered"] else None, 2),
            _pct(r["complained"] / r["delivered"] if r["delivered"] else None, 2),
        ]
        for r in results.rows("channels")
        if r["action_id"] in actions
    ]
    return [
        "<h2>Activity and engagement</h2>",
        '<p class="note">Messages whose send time falls in the period: scheduled (rendered), '
        "sent (handed to the provider), delivered, bounced; rates per delivered message. Opens "
        "are inflated by privacy proxies (Apple Mail Privacy Protection opens every email it "
        "downloads): read them as an upper bound, and judge an action by its conversions.</p>",
        table_html(
            [
                "action",
                "channel",
                "scheduled",
                "sent",
                "delivered",
                "bounced",
                "open",
                "click",
                "unsubscribe",
                "complaint",
            ],
            lines,
        )
        if lines
        else '<p class="note">No message in the period.</p>',
    ]


def _kpis(results: Results, names: dict[str, str]) -> list[str]:
    programs = {r["program_id"]: r["name"] for r in results.rows("programs")}
    lines = []
    for r in results.rows("kpis"):
        money = r["metric"] in ("revenue", "incremental_revenue", "average_basket")
        rate = r["metric"].endswith("_rate") or r["metric"] == "incremental_conversion"

        def shown(v: float | None, money: bool = money, rate: bool = rate) -> str:
            if v is None:
                return "—"
            if money:
                return _money(v, results.currency)
            return _pct(v) if rate else f"{v:,.0f}"

        lines.append(
            [
                programs.get(r["owner_id"]) or names.get(r["owner_id"], r["owner_id"]),
                r["kpi"],
                r["metric"],
                shown(r["value"]),
                shown(r["target"]),
                "—" if r["met"] is None else ("met" if r["met"] else "not met"),
            ]
        )
    return [
        "<h2>Declared KPIs</h2>",
        '<p class="note">The KPIs the plan declares on its programs, scenarios and campaigns, '
        "computed over the period.</p>",
        table_html(["owner", "KPI", "metric", "value", "target", "status"], lines)
        if lines
        else '<p class="note">The plan declares no KPI.</p>',
    ]


def _variants(results: Results, names: dict[str, str]) -> list[str]:
    rows = results.rows("variants")
    if not rows:
        return []
    lines = [
        [
            names.get(r["scenario_id"], r["scenario_id"]),
            r["step_id"],
            r["variant"],
            _pct(r["share"], 0),
            r["messages"],
            r["conversions"],
            _pct(r["conversion_rate"]),
            _pp(r["uplift_vs_first"]),
            "—"
            if r["uplift_low"] is None
            else f"[{_pp(r['uplift_low'])}, {_pp(r['uplift_high'])}]",
            "—" if r["p_value"] is None else f"{r['p_value']:.3f}",
            "winner" if r["winner"] == r["variant"] else "",
        ]
        for r in rows
    ]
    undecided = sorted({f"{r['scenario_id']}/{r['step_id']}" for r in rows if not r["winner"]})
    return [
        "<h2>A/B tests</h2>",
        '<p class="note">Each variant of a step against its first one, on the scenario\'s goal '
        "(Newcombe's 95 % interval, Fisher's exact test). A winner is named only when it beats "
        "every other variant significantly"
        + (f"; no winner yet for {escape(', '.join(undecided))}" if undecided else "")
        + ".</p>",
        table_html(
            [
                "scenario",
                "step",
                "variant",
                "share",
                "messages",
                "conversions",
                "conversion",
                "vs first",
                "95 % CI",
                "p",
                "",
            ],
            lines,
        ),  # fmt: skip
    ]


def _scores(results: Results) -> list[str]:
    rows = results.rows("scores")
    out: list[str] = []
    for name in dict.fromkeys(r["score"] for r in rows):
        mine = [r for r in rows if r["score"] == name]
        chart = stacked_bars(
            [f"{r['low']:.1f}–{r['high']:.1f}" for r in mine],
            {"customers": [float(r["customers"]) for r in mine]},
            title=f"Customers by {name} score at the end of the period",
            height=220,
        )
        fit = mine[0]["fit"] or "no BG/NBD fit yet: the weighted criteria alone"
        out += [
            f"<h2>Score: {escape(name)}</h2>",
            f'<p class="note">The weighted share of the criteria declared in the conventions '
            f"that hold, with 1 − P(alive) where purchase history allows ({escape(fit)}). "
            f"Usable in conditions as <code>score('{escape(name)}') &gt; 0.7</code>.</p>",
            f"<figure>{chart}</figure>",
        ]
    return out
