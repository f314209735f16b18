"""``animato demo-data``: a seeded synthetic customer base for the demo plan, as Parquet files.

Customers are drawn by chunks of :data:`CHUNK` (:mod:`animato.demo.population`); each chunk's
events are drawn here, set-based with numpy: every buyer has a cadence (a mean interval between
purchases) and may churn, purchases follow the seasons (Christmas, sales, Mother's Day) and the
shops' hours, and the other events follow from them (points after a purchase, a survey, a
complaint, a financing for a big home purchase) or from the customer (visits, abandoned carts,
clicks, a newsletter signup). A chunk depends only on the seed and its number, so the files are the
same for the same seed and size, and memory stays bounded whatever the size.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from animato.demo import uplift
from animato.demo.population import (
    CATEGORIES,
    CATEGORY_SHARE,
    CONSENT_CHANNELS,
    DAY,
    GENDERS,
    NO_DAY,
    PREFERRED,
    SIGNUP_SOURCES,
    STORES,
    TIERS,
    Activity,
    Calendar,
    Floats,
    Ints,
    Ledger,
    Population,
    concat,
    consents_table,
    customer_ids,
    customers_table,
    draw_consents,
    draw_population,
    padded,
    pick,
)
from animato.errors import AnimatoError
from animato.plan import Plan
from animato.plan.seasons import mothers_day, summer_sales, winter_sales

Array = npt.NDArray[Any]

CHUNK = 50_000  # customers drawn together; part of what the seed means: do not change lightly
END = date(2026, 11, 1)
FILES = ("customers", "events", "consents")
BORDEAUX_OPENING = date(2026, 3, 19)  # the plan's brand event 'ouverture_bordeaux'

EVENT_TYPES = (
    "newsletter_signup",
    "visit",
    "cart_abandoned",
    "quote_requested",
    "purchase",
    "financing",
    "loyalty_points_earned",
    "survey_answered",
    "email_clicked",
    "complaint_opened",
    "complaint_closed",
    "subscription_paid",
    "unsubscribed",
)
T = {name: code for code, name in enumerate(EVENT_TYPES)}
PAGES = ("accueil", "liste", "fiche_produit", "panier", "compte")
REASONS = ("livraison", "produit", "sav", "magasin", "remboursement")
CAMPAIGNS = ("newsletter", "noel", "soldes_hiver", "fete_des_meres", "releve_points", "cross_sell")
PRODUCTS = {
    "mode": ("Robe en lin", "Chemise oxford", "Pull en laine", "Jean droit", "Trench beige"),
    "maison": ("Lampe à poser", "Fauteuil velours", "Table basse en chêne", "Canapé 3 places"),
    "linge": ("Parure de lit en percale", "Plaid en laine", "Serviettes de bain", "Nappe en lin"),
    "decoration": ("Bougie parfumée", "Vase en grès", "Miroir en rotin", "Cadre photo doré"),
    "beaute": ("Coffret soin visage", "Eau de parfum", "Crème mains"),
    "enfant": ("Pyjama enfant", "Doudou lapin", "Veilleuse étoile"),
}
QUOTES = ("Rideaux sur mesure", "Canapé sur mesure", "Dressing sur mesure", "Stores occultants")
BASKET = {"mode": 55.0, "maison": 95.0, "linge": 60.0, "decoration": 38.0}
BASKET |= {"beaute": 28.0, "enfant": 32.0}
# Every property the events carry: its values (codes into them), or how it is typed.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "category": CATEGORIES,
    "channel": PREFERRED + CONSENT_CHANNELS,
    "store": STORES,
    "page": PAGES,
    "product": tuple(p for ps in PRODUCTS.values() for p in ps) + QUOTES,
    "source": SIGNUP_SOURCES,
    "campaign": CAMPAIGNS,
    "url": tuple(
        f"https://www.maison-lumiere.fr/{c}?utm_campaign={k}" for c in CATEGORIES for k in CAMPAIGNS
    ),
    "reason": REASONS,
}
PROPERTIES: tuple[str, ...] = (
    "amount",
    "category",
    "order_id",
    "store",
    "channel",
    "page",
    "cart_value",
)
PROPERTIES += ("product", "source", "campaign", "url", "reason", "value", "points", "score")
NUMBERS = {"amount": pa.float64(), "cart_value": pa.float64(), "value": pa.float64()}
NUMBERS |= {"points": pa.int64(), "score": pa.int64()}
# The values each event type gives a property (checked against the plan's allowed values).
VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("purchase", "category"): CATEGORIES,
    ("purchase", "channel"): PREFERRED,
    ("purchase", "store"): STORES,
    ("visit", "page"): PAGES,
    ("visit", "category"): CATEGORIES,
    ("cart_abandoned", "category"): CATEGORIES,
    ("newsletter_signup", "source"): SIGNUP_SOURCES,
    ("email_clicked", "campaign"): CAMPAIGNS,
    ("complaint_opened", "reason"): REASONS,
    ("unsubscribed", "channel"): CONSENT_CHANNELS,
}
CUSTOMER_VALUES = {"gender": GENDERS, "loyalty_tier": TIERS, "country": ("FR", "BE", "LU", "CH")}


def _hours(*weights: float) -> Floats:
    """Probabilities of the 24 local hours of the day."""
    array = np.array(weights, dtype=np.float64)
    return np.asarray(array / array.sum(), dtype=np.float64)


# fmt: off
SHOP_HOURS = _hours(0, 0, 0, 0, 0, 0, 0, 0, 0, .3, .8, 1, .9, .8, 1, 1.2, 1.3, 1.4, 1.2, .4,
                    0, 0, 0, 0)
ONLINE_HOURS = _hours(.2, .1, .05, .03, .03, .05, .2, .5, .8, 1, 1, 1, 1.3, 1.3, 1, .9, .9, 1, 1.2,
                      1.4, 1.7, 1.8, 1.3, .6)
MAIL_HOURS = _hours(.1, .05, 0, 0, 0, 0, .1, .3, .5, .7, 2, 1.6, 1.4, 1.2, 1, .9, .9, 1, 1.1, 1.2,
                    1.3, 1.2, .8, .3)
OFFICE_HOURS = _hours(0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, .6, .6, 1, 1, 1, 1, .5, 0, 0, 0, 0, 0)
# fmt: on
SCORES = np.array([2, 1, 1, 1, 2, 4, 5, 10, 18, 22, 24], dtype=np.float64)


class DemoDataError(AnimatoError):
    """Demo data cannot be written as asked (arguments, or a plan whose contract does not fit)."""


@dataclass
class DemoSummary:
    """What ``generate`` wrote: rows per file, the period of the events, and how long it took."""

    folder: Path
    rows: dict[str, int]
    start: date
    end: date
    seconds: float
    left_out: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """A short report for the terminal."""
        out = [f"{name}.parquet: {self.rows[name]:,} rows" for name in FILES if name in self.rows]
        out.append(
            f"events from {self.start} to {self.end - timedelta(days=1)} (local days);"
            f" '{self.end}' is the demo's today"
        )
        if self.left_out:
            out.append("not in the plan's contract, left out: " + ", ".join(self.left_out))
        out.append(f"written to {self.folder} in {self.seconds:.1f} s")
        return out


def generate(
    plan: Plan,
    folder: str | Path,
    *,
    customers: int = 10_000,
    years: int = 2,
    end: date = END,
    seed: int = 42,
    progress: bool = False,
) -> DemoSummary:
    """Write ``customers.parquet``, ``events.parquet`` and ``consents.parquet`` into ``folder``.

    Events cover ``years`` years of local days before ``end``; nothing happens on or after it.
    Columns follow the plan's data contract (its ``column:`` names); about 1% of customers have a
    broken email or phone, which ingest quarantines.
    """
    if customers < 1 or years < 1:
        raise DemoDataError("demo data needs at least 1 customer and 1 year of history")
    began = time.perf_counter()
    shape = _Shape.of(plan)
    cal = Calendar.of(plan.timezone, end, years)
    days = _Days.of(cal)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    rows = dict.fromkeys(FILES, 0)
    writers: dict[str, pq.ParquetWriter] = {}
    partial = {name: target / f".{name}.parquet.partial" for name in FILES}
    chunks = math.ceil(customers / CHUNK)
    try:
        with _bar(progress, customers) as advance:
            for chunk in range(chunks):
                rng = np.random.default_rng([seed, chunk])
                first = chunk * CHUNK
                pop = draw_population(rng, cal, first, min(CHUNK, customers - first))
                ledger = draw_consents(rng, cal, pop)
                events, activity = _events(rng, cal, days, pop, ledger)
                events = uplift.plant(
                    plan,
                    events,
                    np.random.default_rng([seed, chunk, 1]),
                    cal.utc_us(np.array([cal.days * DAY]))[0],
                )
                tables = {
                    "customers": shape.customers(customers_table(rng, cal, pop, activity)),
                    "events": shape.events(events),
                    "consents": consents_table(cal, pop, ledger, shape.purposes),
                }
                for name, table in tables.items():
                    if name not in writers:
                        writers[name] = pq.ParquetWriter(partial[name], table.schema)
                    writers[name].write_table(table, row_group_size=len(table) or 1)
                    rows[name] += len(table)
                advance(pop.size)
    except BaseException:
        for writer in writers.values():
            writer.close()
        for path in partial.values():
            path.unlink(missing_ok=True)
        raise
    for name in FILES:
        writers[name].close()
        partial[name].replace(target / f"{name}.parquet")
    return DemoSummary(
        target,
        rows,
        cal.date_of(cal.start),
        end,
        time.perf_counter() - began,
        shape.left_out,
    )


@contextmanager
def _bar(enabled: bool, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar of customers drawn, on stderr."""
    if not enabled:
        yield lambda _: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("customers", total=total)
        yield lambda n: bar.advance(task, n)


# --- the plan's contract ---------------------------------------------------------------------


@dataclass
class _Shape:
    """How the plan's data contract names and allows what the generator draws."""

    customer_columns: dict[str, str]  # contract field -> file column
    event_types: list[str]
    properties: dict[str, str]  # property -> file column, in contract order
    purposes: dict[str, str]
    left_out: list[str]

    @classmethod
    def of(cls, plan: Plan) -> _Shape:
        """Check the contract against what the generator draws; raise if a value is refused."""
        contract = plan.data
        problems: list[str] = []
        builtin = ("customer_id", "email", "phone", "account_id", "role", "created_at")
        columns = {name: name for name in builtin}
        left_out: list[str] = []
        drawn = [f for f in _CUSTOMER_FIELDS if f not in builtin]
        for name in drawn:
            spec = contract.customer.get(name)
            if spec is None:
                left_out.append(f"customer.{name}")
                continue
            columns[name] = spec.column or name
            allowed = CUSTOMER_VALUES.get(name, ())
            refused = [v for v in allowed if spec.values and v not in spec.values]
            if refused:
                problems.append(f"customer field {name} does not allow {', '.join(refused)}")
        types = [t for t in EVENT_TYPES if t in contract.events]
        left_out += [f"event {t}" for t in EVENT_TYPES if t not in contract.events]
        properties: dict[str, str] = {}
        for kind in types:
            for name, spec in contract.events[kind].properties.items():
                if name in VOCABULARIES or name in NUMBERS or name == "order_id":
                    properties.setdefault(name, spec.column or name)
                values = VALUES.get((kind, name), ())
                refused = [v for v in values if spec.values and v not in spec.values]
                if refused:
                    problems.append(f"{kind}.{name} does not allow {', '.join(refused)}")
        if problems:
            raise DemoDataError(
                "the plan's data contract does not fit the demo data: " + "; ".join(problems)
            )
        purposes = {str(c): p for c, p in plan.conventions.consent.items()}
        return cls(columns, types, properties, purposes, left_out)

    def customers(self, table: pa.Table) -> pa.Table:
        """The customer table with the contract's fields, named as the contract says."""
        kept = [c for c in table.column_names if c in self.customer_columns]
        return table.select(kept).rename_columns([self.customer_columns[c] for c in kept])

    def events(self, table: pa.Table) -> pa.Table:
        """The events of the contract's types, with its properties named as it says."""
        if len(self.event_types) < len(EVENT_TYPES):
            table = table.filter(pc.is_in(table["type"], pa.array(self.event_types)))
        base = ["event_id", "customer_id", "type", "time"]
        kept = [p for p in self.properties if p in table.column_names]
        return table.select(base + kept).rename_columns(base + [self.properties[p] for p in kept])


_CUSTOMER_FIELDS = (
    "customer_id first_name last_name gender email phone birth_date street postal_code city "
    "country account_id role loyalty_joined_at loyalty_points loyalty_tier preferred_store "
    "subscription_ends_at last_login_at employee created_at"
).split()


# --- the calendar's rhythm -------------------------------------------------------------------


@dataclass(frozen=True)
class _Days:
    """Per-day weights (seasons and weekdays) as cumulative sums, and the campaign of each day."""

    purchases: Floats
    visits: Floats
    clicks: Floats
    campaign: Ints  # index in CAMPAIGNS of the campaign a click that day most likely came from

    @classmethod
    def of(cls, cal: Calendar) -> _Days:
        """Weights of each day of the calendar: more in December, at the sales, on Saturdays."""
        n = cal.days
        season = np.ones(n)
        campaign = np.zeros(n, dtype=np.int64)
        first_year, last_year = cal.first.year, cal.date_of(n - 1).year
        for year in range(first_year, last_year + 1):
            _boost(cal, season, date(year, 12, 1), date(year, 12, 17), 1.7)
            _boost(cal, season, date(year, 12, 18), date(year, 12, 24), 2.6)
            _boost(cal, season, date(year, 12, 26), date(year, 12, 31), 0.9)
            _boost(cal, season, date(year, 8, 1), date(year, 8, 31), 0.8)
            for sales, first_week, rest in ((winter_sales, 2.3, 1.4), (summer_sales, 1.9, 1.3)):
                begin, last = sales(year)
                _boost(cal, season, begin, begin + timedelta(days=6), first_week)
                _boost(cal, season, begin + timedelta(days=7), last, rest)
            mothers, _ = mothers_day(year)
            _boost(cal, season, mothers - timedelta(days=10), mothers - timedelta(days=1), 1.5)
            _mark(cal, campaign, date(year, 12, 11), date(year, 12, 24), "noel")
            begin, _ = winter_sales(year)
            _mark(cal, campaign, begin, begin + timedelta(days=6), "soldes_hiver")
            _mark(cal, campaign, mothers - timedelta(days=7), mothers, "fete_des_meres")
            for month in range(1, 13):
                _mark(cal, campaign, date(year, month, 5), date(year, month, 6), "releve_points")
        week = np.array([1.0, 0.95, 1.0, 1.0, 1.1, 1.45, 0.6])[cal.weekday]
        mail_week = np.array([0.7, 0.7, 0.7, 2.5, 1.3, 0.6, 0.6])[cal.weekday]
        window = slice(cal.start, n)

        def cumulative(weight: Floats) -> Floats:
            weight = weight / weight[window].mean()
            return np.concatenate(([0.0], np.cumsum(weight)))

        return cls(
            purchases=cumulative(season * week),
            visits=cumulative(np.sqrt(season) * week**0.5),
            clicks=cumulative(np.sqrt(season) * mail_week),
            campaign=campaign,
        )


def _boost(cal: Calendar, weight: Floats, first: date, last: date, factor: float) -> None:
    lo, hi = max(cal.index_of(first), 0), min(cal.index_of(last) + 1, cal.days)
    if lo < hi:
        weight[lo:hi] *= factor


def _mark(cal: Calendar, campaign: Ints, first: date, last: date, name: str) -> None:
    lo, hi = max(cal.index_of(first), 0), min(cal.index_of(last) + 1, cal.days)
    if lo < hi:
        campaign[lo:hi] = CAMPAIGNS.index(name)


# --- drawing events --------------------------------------------------------------------------


def _spread(
    rng: np.random.Generator,
    cumulative: Floats,
    lo: Floats,
    hi: Floats,
    counts: Ints,
    *,
    even: bool,
) -> tuple[Ints, Floats]:
    """``counts[i]`` days for customer ``i`` in ``[lo[i], hi[i])``, following the day weights.

    ``even`` spreads them one per equal share of the customer's (weighted) time, which gives the
    regular rhythm of a habit; otherwise they fall independently.
    """
    owner = np.repeat(np.arange(len(counts)), counts)
    grid = np.arange(len(cumulative), dtype=np.float64)
    f_lo, f_hi = np.interp(lo, grid, cumulative), np.interp(hi, grid, cumulative)
    if even:
        starts = np.cumsum(counts) - counts
        u = (np.arange(owner.size) - starts[owner] + rng.random(owner.size)) / counts[owner]
    else:
        u = rng.random(owner.size)
    position = f_lo[owner] + u * (f_hi - f_lo)[owner]
    return owner, np.interp(position, cumulative, grid)


def _at(rng: np.random.Generator, cal: Calendar, day: Array, hours: Floats) -> Ints:
    """Local seconds on the day of ``day``, at an hour drawn from ``hours``."""
    whole = np.clip(np.floor(day).astype(np.int64), 0, cal.days - 1)
    hour = rng.choice(24, day.size, p=hours)
    return np.asarray(whole * DAY + hour * 3600 + rng.integers(0, 3600, day.size), dtype=np.int64)


def _counts(rng: np.random.Generator, expected: Floats, *, even: bool) -> Ints:
    """Event counts: ``expected`` rounded at random (a habit), or Poisson."""
    expected = np.maximum(expected, 0.0)
    if even:
        return np.floor(expected + rng.random(expected.size)).astype(np.int64)
    return rng.poisson(expected).astype(np.int64)


def _within(cumulative: Floats, lo: Floats, hi: Floats) -> Floats:
    """Weighted length of each customer's ``[lo, hi)`` (days, at the average weight)."""
    grid = np.arange(len(cumulative), dtype=np.float64)
    spans = np.interp(hi, grid, cumulative) - np.interp(lo, grid, cumulative)
    return np.asarray(np.maximum(spans, 0.0), dtype=np.float64)


class _Blocks:
    """The events of a chunk, one block per kind of draw, assembled into one sorted table."""

    def __init__(self) -> None:
        self.blocks: list[tuple[int, Ints, Ints, dict[str, Array]]] = []

    def add(self, kind: str, owner: Ints, seconds: Ints, **properties: Array) -> None:
        """Events of type ``kind``; properties are codes into VOCABULARIES or numbers."""
        self.blocks.append((T[kind], owner, seconds, properties))

    def column(self, name: str, order: Ints) -> Array:
        """A property over all blocks (code -1 or NaN where a block does not have it)."""
        parts = []
        for _, owner, _, properties in self.blocks:
            if name in properties:
                parts.append(properties[name])
            elif name in VOCABULARIES:
                parts.append(np.full(owner.size, -1, dtype=np.int32))
            elif NUMBERS[name] == pa.int64():
                parts.append(np.full(owner.size, -1, dtype=np.int64))
            else:
                parts.append(np.full(owner.size, np.nan))
        return np.concatenate(parts)[order]


@dataclass
class _Chunk:
    """One chunk's customers while their events are drawn, with their active periods."""

    rng: np.random.Generator
    cal: Calendar
    days: _Days
    pop: Population
    ledger: Ledger
    begin: Floats  # first day of activity in the period (creation or the period's start)
    until: Floats  # buyers: no purchase after (churn or the end); prospects: end of interest
    browsing_until: Floats  # visits and clicks go on a little after the last purchase
    blocks: _Blocks = field(default_factory=_Blocks)

    @classmethod
    def of(
        cls, rng: np.random.Generator, cal: Calendar, days: _Days, pop: Population, ledger: Ledger
    ) -> _Chunk:
        """The active periods of each customer of ``pop``."""
        n, start, end = pop.size, float(cal.start), float(cal.days)
        created = pop.created_day
        begin = np.maximum(created, start)
        buyer = ~pop.prospect
        interest = created + rng.lognormal(np.log(90.0), 0.8, n)
        until = np.where(
            buyer, np.maximum(pop.active_until, begin + 0.01), np.minimum(interest, end)
        )
        browsing = np.minimum(np.where(buyer, until + rng.uniform(0, 60, n), until), end)
        return cls(rng, cal, days, pop, ledger, begin, until, browsing)

    def spread(
        self, weights: Floats, lo: Floats, hi: Floats, expected: Floats, *, even: bool
    ) -> tuple[Ints, Floats]:
        """Draw counts around ``expected`` and spread them over each customer's ``[lo, hi)``."""
        counts = _counts(self.rng, expected, even=even)
        return _spread(self.rng, weights, lo, np.maximum(hi, lo), counts, even=even)

    def at(self, day: Array, hours: Floats) -> Ints:
        """Local seconds on the day of ``day``, at an hour drawn from ``hours``."""
        return _at(self.rng, self.cal, day, hours)


def _events(
    rng: np.random.Generator, cal: Calendar, days: _Days, pop: Population, ledger: Ledger
) -> tuple[pa.Table, Activity]:
    """Every event of a chunk's customers, sorted by customer and time, and their summary."""
    chunk = _Chunk.of(rng, cal, days, pop, ledger)
    _signups(chunk)
    purchases = _buying(chunk)
    _after_purchases(chunk, purchases)
    _browsing(chunk, purchases)
    _clicks(chunk)
    _subscriptions(chunk)
    _unsubscriptions(chunk)
    return _assemble(chunk, purchases)


def _signups(chunk: _Chunk) -> None:
    """Newsletter signups, when the customer was created during the period."""
    pop = chunk.pop
    who = np.flatnonzero(pop.signup >= 0)
    chunk.blocks.add(
        "newsletter_signup",
        who,
        pop.created[who] + chunk.rng.integers(0, 300, who.size),
        source=pop.signup[who].astype(np.int32),
    )


def _buying(chunk: _Chunk) -> _Purchase:
    """Purchases: a habit at each buyer's own cadence (at least one), and signed quotes."""
    rng, cal, pop, weights = chunk.rng, chunk.cal, chunk.pop, chunk.days.purchases
    buyer = ~pop.prospect
    expected = _within(weights, chunk.begin, chunk.until) / pop.interval
    counts = np.where(buyer, np.maximum(_counts(rng, expected, even=True), 1), 0)
    owner, day = _spread(rng, weights, chunk.begin, chunk.until, counts, even=True)
    habit = _purchases(chunk, owner, day)
    # quotes for made-to-measure furnishings; a third are signed: a big home purchase
    expected = np.where(buyer, 0.05 * _within(weights, chunk.begin, chunk.until) / 730.0, 0.0)
    owner, day = chunk.spread(weights, chunk.begin, chunk.until, expected, even=False)
    value = np.round(np.maximum(rng.lognormal(np.log(1100.0), 0.7, owner.size), 150.0), -1)
    product = VOCABULARIES["product"].index(QUOTES[0]) + rng.integers(0, len(QUOTES), owner.size)
    chunk.blocks.add(
        "quote_requested",
        owner,
        chunk.at(day, SHOP_HOURS),
        product=product.astype(np.int32),
        value=value,
    )
    signed = np.flatnonzero(rng.random(owner.size) < 0.35)
    signed_day = np.floor(day[signed]) + rng.integers(3, 26, signed.size)
    store = pop.store[owner[signed]]
    closed = (store < 0) | (
        (store == STORES.index("bordeaux")) & (signed_day < cal.index_of(BORDEAUX_OPENING))
    )
    big = _Purchase(
        owner=owner[signed],
        seconds=chunk.at(signed_day, SHOP_HOURS),
        amount=np.round(value[signed] * rng.uniform(0.9, 1.05, signed.size), 2),
        category=np.full(signed.size, CATEGORIES.index("maison")),
        channel=np.where(closed, 1, 0),
        store=np.where(closed, -1, store),
    )
    purchases = habit.plus(big).before(cal.days * DAY)
    chunk.blocks.add(
        "purchase",
        purchases.owner,
        purchases.seconds,
        amount=purchases.amount,
        category=purchases.category.astype(np.int32),
        channel=purchases.channel.astype(np.int32),
        store=purchases.store.astype(np.int32),
    )
    return purchases


def _browsing(chunk: _Chunk, purchases: _Purchase) -> None:
    """Visits (sessions of a few pages) and abandoned carts, alone and before online purchases."""
    rng, pop, weights = chunk.rng, chunk.pop, chunk.days.visits
    n, buyer = pop.size, ~pop.prospect
    sessions = pop.interval * rng.uniform(0.8, 1.8, n) * np.where(pop.preferred == 0, 2.5, 1.0)
    sessions = np.where(buyer, sessions, rng.lognormal(np.log(60.0), 0.6, n))
    span = _within(weights, chunk.begin, chunk.browsing_until)
    owner, day = chunk.spread(
        weights, chunk.begin, chunk.browsing_until, span / sessions, even=False
    )
    _sessions(chunk, owner, chunk.at(day, ONLINE_HOURS), None)
    online = np.flatnonzero((purchases.channel > 0) & (rng.random(purchases.owner.size) < 0.35))
    before = purchases.seconds[online] - rng.integers(600, 2400, online.size)
    _sessions(chunk, purchases.owner[online], before, purchases.category[online])

    carts = np.where(pop.preferred == 0, 1100.0, 350.0) * np.where(buyer, 1.0, 0.6)
    owner, day = chunk.spread(weights, chunk.begin, chunk.browsing_until, span / carts, even=False)
    _carts(chunk, owner, chunk.at(day, ONLINE_HOURS), _category(rng, pop.favourite[owner]), None)
    online = np.flatnonzero((purchases.channel > 0) & (rng.random(purchases.owner.size) < 0.12))
    before = purchases.seconds[online] - rng.integers(2 * 3600, 48 * 3600, online.size)
    category, amount = purchases.category[online], purchases.amount[online]
    _carts(chunk, purchases.owner[online], before, category, amount)


def _clicks(chunk: _Chunk) -> None:
    """Clicks in emails, by customers who consented (until they withdraw) and read them."""
    rng, pop, ledger, days = chunk.rng, chunk.pop, chunk.ledger, chunk.days
    n = pop.size
    reader = (ledger.email_from >= 0) & pop.has_email & (pop.engaged | (rng.random(n) < 0.15))
    interval = np.where(pop.engaged, rng.lognormal(np.log(80.0), 0.5, n), 500.0)
    lo = np.maximum(chunk.begin, ledger.email_from / DAY)
    hi = np.minimum(chunk.browsing_until, ledger.email_until / DAY)
    expected = np.where(reader, _within(days.clicks, lo, hi) / interval, 0.0)
    owner, day = chunk.spread(days.clicks, lo, hi, expected, even=False)
    whole = np.clip(np.floor(day).astype(np.int64), 0, chunk.cal.days - 1)
    that_day = rng.random(owner.size) < 0.8  # else a scenario's or another campaign's email
    campaign = np.where(that_day, days.campaign[whole], rng.integers(0, len(CAMPAIGNS), owner.size))
    category = _category(rng, pop.favourite[owner])
    chunk.blocks.add(
        "email_clicked",
        owner,
        chunk.at(day, MAIL_HOURS),
        campaign=campaign.astype(np.int32),
        url=(category * len(CAMPAIGNS) + campaign).astype(np.int32),
    )


def _subscriptions(chunk: _Chunk) -> None:
    """Lumière+ payments, one and two years before the subscription ends."""
    pop = chunk.pop
    subscribers = np.flatnonzero(pop.subscription_ends != NO_DAY)
    for years in (1, 2):
        paid = pop.subscription_ends[subscribers] - 365 * years
        keep = paid >= np.ceil(chunk.begin[subscribers])
        who = subscribers[keep]
        first_year_offer = chunk.rng.random(who.size) < 0.2
        chunk.blocks.add(
            "subscription_paid",
            who,
            chunk.at(paid[keep].astype(np.float64), ONLINE_HOURS),
            amount=np.where(first_year_offer, 9.0, 29.0),
        )


def _unsubscriptions(chunk: _Chunk) -> None:
    """Unsubscriptions: the consents withdrawn during the period, at the same time."""
    ledger = chunk.ledger
    withdrawn = ~ledger.granted & (ledger.seconds >= chunk.cal.start * DAY)
    chunk.blocks.add(
        "unsubscribed",
        ledger.owner[withdrawn],
        ledger.seconds[withdrawn],
        channel=(len(PREFERRED) + ledger.channel[withdrawn]).astype(np.int32),
    )


@dataclass
class _Purchase:
    """Purchases being drawn (before they become a block of events)."""

    owner: Ints
    seconds: Ints
    amount: Floats
    category: Ints
    channel: Ints  # index in PREFERRED
    store: Ints  # index in STORES, -1 for none

    def plus(self, other: _Purchase) -> _Purchase:
        """Both sets of purchases."""
        return _Purchase(
            *(np.concatenate((a, b)) for a, b in zip(self.parts(), other.parts(), strict=True))
        )

    def before(self, limit: int) -> _Purchase:
        """The purchases before ``limit`` (local seconds)."""
        keep = self.seconds < limit
        return _Purchase(*(part[keep] for part in self.parts()))

    def parts(self) -> tuple[Array, ...]:
        """The columns, in field order."""
        return (self.owner, self.seconds, self.amount, self.category, self.channel, self.store)


def _category(rng: np.random.Generator, favourite: Ints) -> Ints:
    """The customer's favourite category more often than not, else one by overall share."""
    other = rng.choice(len(CATEGORIES), favourite.size, p=CATEGORY_SHARE)
    return np.where(rng.random(favourite.size) < 0.55, favourite, other)


def _purchases(chunk: _Chunk, owner: Ints, day: Floats) -> _Purchase:
    """Amount, category, channel and shop of each purchase day, at the channel's hours."""
    rng, cal, pop = chunk.rng, chunk.cal, chunk.pop
    size = owner.size
    channel = np.where(
        rng.random(size) < 0.75, pop.preferred[owner], rng.choice(3, size, p=[0.5, 0.35, 0.15])
    )
    whole = np.clip(np.floor(day).astype(np.int64), 0, cal.days - 1)
    sunday = cal.weekday[whole] == 6
    channel = np.where((channel == 0) & sunday & (rng.random(size) < 0.85), 1, channel)
    store = np.where(pop.store[owner] >= 0, pop.store[owner], rng.integers(0, len(STORES), size))
    opening = cal.index_of(BORDEAUX_OPENING)
    closed = (store == STORES.index("bordeaux")) & (whole < opening)
    channel = np.where((channel == 0) & closed, 1, channel)
    store = np.where(channel == 0, store, -1)
    category = _category(rng, pop.favourite[owner])
    median = np.array([BASKET[c] for c in CATEGORIES])[category]
    amount = rng.lognormal(np.log(median), 0.55)
    amount = np.where(rng.random(size) < 0.006, rng.uniform(1.0, 9.99, size), amount)
    shop, web = chunk.at(day, SHOP_HOURS), chunk.at(day, ONLINE_HOURS)
    seconds = np.maximum(np.where(channel == 0, shop, web), pop.created[owner] + 60)
    amount = np.round(amount, 2).astype(np.float64)
    return _Purchase(owner, seconds, amount, category, channel, store)


def _after_purchases(chunk: _Chunk, bought: _Purchase) -> None:
    """What follows a purchase: points, a financing, a survey, sometimes a complaint."""
    rng, cal, pop, blocks = chunk.rng, chunk.cal, chunk.pop, chunk.blocks
    end = cal.days * DAY
    owner, seconds, amount = bought.owner, bought.seconds, bought.amount
    size = owner.size
    member = pop.member[owner] & (seconds >= pop.joined[owner] * DAY)
    points = np.flatnonzero(member & (amount >= 1))
    blocks.add(
        "loyalty_points_earned",
        owner[points],
        seconds[points] + rng.integers(60, 600, points.size),
        points=np.floor(amount[points]).astype(np.int64),
    )
    financed = np.flatnonzero((amount >= 600) & (rng.random(size) < 0.5))
    blocks.add("financing", owner[financed], seconds[financed] + 120, amount=amount[financed])
    surveyed = np.flatnonzero((amount >= 20) & (rng.random(size) < 0.06))
    day = seconds[surveyed] // DAY + rng.integers(3, 15, surveyed.size)
    blocks.add(
        "survey_answered",
        owner[surveyed],
        _at(rng, cal, day.astype(np.float64), ONLINE_HOURS),
        score=rng.choice(11, surveyed.size, p=SCORES / SCORES.sum()).astype(np.int64),
    )
    complains = np.flatnonzero(rng.random(size) < 0.02)
    online = bought.channel[complains] > 0
    reason = np.where(
        online,
        rng.choice(5, complains.size, p=[0.5, 0.25, 0.1, 0.0, 0.15]),
        rng.choice(5, complains.size, p=[0.0, 0.35, 0.2, 0.35, 0.1]),
    )
    day = seconds[complains] // DAY + rng.integers(0, 10, complains.size)
    opened = np.maximum(
        _at(rng, cal, day.astype(np.float64), OFFICE_HOURS), seconds[complains] + 3600
    )
    blocks.add("complaint_opened", owner[complains], opened, reason=reason.astype(np.int32))
    closes = rng.random(complains.size) < 0.88  # the others are still open
    later = opened + (rng.lognormal(np.log(6.0), 0.9, complains.size) * DAY).astype(np.int64)
    closed = np.flatnonzero(closes & (later < end))
    blocks.add("complaint_closed", owner[complains][closed], later[closed])


def _sessions(chunk: _Chunk, owner: Ints, start: Ints, category: Ints | None) -> None:
    """Visits: sessions of a few pages a minute or two apart in one category (given: 2 pages)."""
    rng = chunk.rng
    pages = (
        np.minimum(rng.geometric(0.5, owner.size), 6)
        if category is None
        else np.full(owner.size, 2)
    )
    session = np.repeat(np.arange(owner.size), pages)
    rank = np.arange(session.size) - np.repeat(np.cumsum(pages) - pages, pages)
    gaps = rng.integers(20, 240, session.size) * (rank > 0)
    begun = np.cumsum(gaps)
    seconds = start[session] + begun - np.repeat(begun[np.cumsum(pages) - pages], pages)
    first_page = rng.choice(5, session.size, p=[0.4, 0.3, 0.3, 0.0, 0.0])
    next_page = rng.choice(5, session.size, p=[0.0, 0.25, 0.5, 0.15, 0.1])
    page = np.where(rank == 0, first_page, next_page)
    if category is None:
        category = _category(rng, chunk.pop.favourite[owner])
    else:
        page = np.where(rank == 0, 1, 2)
    shown = np.where(np.isin(page, (0, 4)), -1, category[session])
    chunk.blocks.add(
        "visit",
        owner[session],
        seconds,
        page=page.astype(np.int32),
        category=shown.astype(np.int32),
    )


def _carts(
    chunk: _Chunk, owner: Ints, seconds: Ints, category: Ints, amount: Floats | None
) -> None:
    """Abandoned carts: value (about ``amount`` if given), category and main product."""
    rng = chunk.rng
    if amount is None:
        median = np.array([BASKET[c] for c in CATEGORIES])[category] * 1.3
        value = rng.lognormal(np.log(median), 0.6)
    else:
        value = amount * rng.uniform(0.85, 1.25, owner.size)
    offsets = np.cumsum([0] + [len(PRODUCTS[c]) for c in CATEGORIES])
    sizes = np.diff(offsets)[category]
    product = offsets[category] + (rng.random(owner.size) * sizes).astype(np.int64)
    chunk.blocks.add(
        "cart_abandoned",
        owner,
        seconds,
        cart_value=np.round(value, 2),
        category=category.astype(np.int32),
        product=product.astype(np.int32),
    )


def _assemble(chunk: _Chunk, purchases: _Purchase) -> tuple[pa.Table, Activity]:
    """One table of events sorted by customer, time and type, with ids; and each one's summary."""
    cal, pop, blocks = chunk.cal, chunk.pop, chunk.blocks
    owner = np.concatenate([b[1] for b in blocks.blocks])
    seconds = np.concatenate([b[2] for b in blocks.blocks])
    kind = np.concatenate([np.full(b[1].size, b[0]) for b in blocks.blocks])
    floor = np.maximum(pop.created[owner], cal.start * DAY)
    inside = (seconds >= floor) & (seconds < cal.days * DAY)
    order = np.flatnonzero(inside)[np.lexsort((kind[inside], seconds[inside], owner[inside]))]
    owner, seconds, kind = owner[order], seconds[order], kind[order]
    counts = np.bincount(owner, minlength=pop.size)
    sequence = np.arange(owner.size) - (np.cumsum(counts) - counts)[owner] + 1
    ids = pc.take(customer_ids(pop.number), pa.array(owner.astype(np.int32)))
    event_id = concat(ids, "-", padded(sequence, 4))
    columns: dict[str, pa.Array] = {
        "event_id": event_id,
        "customer_id": ids,
        "type": pick(EVENT_TYPES, kind),
        "time": pa.array(cal.utc_us(seconds), pa.timestamp("us", tz="UTC")),
    }
    for name in PROPERTIES:
        if name == "order_id":
            columns[name] = pc.if_else(
                pa.array(kind == T["purchase"]), concat("CMD-", event_id), None
            )
        elif name in VOCABULARIES:
            columns[name] = pick(VOCABULARIES[name], blocks.column(name, order))
        else:
            values = blocks.column(name, order)
            missing = np.isnan(values) if NUMBERS[name] == pa.float64() else values < 0
            columns[name] = pa.array(values, NUMBERS[name], mask=missing)
    year_ago = (cal.days - 365) * DAY
    recent = purchases.seconds >= year_ago
    spend = np.bincount(purchases.owner[recent], purchases.amount[recent], minlength=pop.size)
    earned = (kind == T["loyalty_points_earned"]) & (seconds >= year_ago)
    points = blocks.column("points", order)
    points_365 = np.bincount(owner[earned], points[earned], minlength=pop.size)
    last_visit = np.full(pop.size, -1, dtype=np.int64)
    visits = kind == T["visit"]
    np.maximum.at(last_visit, owner[visits], seconds[visits])
    activity = Activity(spend.astype(np.float64), points_365.astype(np.int64), last_visit)
    return pa.table(columns), activity
