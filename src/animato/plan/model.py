"""The plan model: what a plan folder says, as pydantic v2 objects (vocabulary of DESIGN.md §2).

Models only check the shape of each value (types, durations, allowed words, ranges). Everything
that needs the whole plan (references between objects, conditions against the data contract,
templates) is checked by :mod:`animato.plan.validation`, which reports all problems at once.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    field_validator,
    model_validator,
)

from animato.plan.durations import Duration

Channel = Literal["email", "sms", "call", "postal", "push"]
CHANNELS: tuple[str, ...] = ("email", "sms", "call", "postal", "push")
FieldType = Literal[
    "string", "integer", "number", "boolean", "date", "timestamp", "email", "phone", "category"
]
OnConflict = Literal["postpone", "drop"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
Metric = Literal[
    "entrants",
    "messages_sent",
    "open_rate",
    "click_rate",
    "unsubscribe_rate",
    "conversion_rate",
    "revenue",
    "average_basket",
    "incremental_conversion",
    "incremental_revenue",
]
Criterion = Literal[
    "business_impact",
    "data_availability",
    "feasibility",
    "content_ready",
    "legal",
    "customer_interest",
]
CRITERIA: tuple[str, ...] = (
    "business_impact",
    "data_availability",
    "feasibility",
    "content_ready",
    "legal",
    "customer_interest",
)
ID_PATTERN = r"^[a-z][a-z0-9_]*$"


def _duration(value: Any) -> Duration:
    return value if isinstance(value, Duration) else Duration.parse(value)


DurationT = Annotated[Duration, BeforeValidator(_duration), PlainSerializer(str)]


def _share(value: Any) -> float:
    """Read a share written ``10%`` or ``0.1``."""
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", value)
        if not match:
            raise ValueError(f"'{value}' is not a share: expected a percentage such as 10%")
        return float(match.group(1)) / 100
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a percentage such as 10%")
    return float(value)


Share = Annotated[float, BeforeValidator(_share)]


def _time_of_day(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 10:00 as a sexagesimal number (600).
        value = f"{value // 60:02d}:{value % 60:02d}"
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
        if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
            return time(int(match.group(1)), int(match.group(2)))
    raise ValueError(f"'{value}' is not a time of day: expected HH:MM, e.g. \"10:00\"")


TimeOfDay = Annotated[
    time, BeforeValidator(_time_of_day), PlainSerializer(lambda t: t.strftime("%H:%M"))
]
Id = Annotated[str, Field(pattern=ID_PATTERN)]


class Strict(BaseModel):
    """Base of every plan object: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


# --- data contract -------------------------------------------------------------------------


class FieldSpec(Strict):
    """One customer field or event property the plan relies on."""

    type: FieldType
    required: bool = False
    values: list[str] | None = None
    column: str | None = None
    description: str = ""


def _field_shorthand(value: Any) -> Any:
    return {"type": value} if isinstance(value, str) else value


FieldSpecT = Annotated[FieldSpec, BeforeValidator(_field_shorthand)]


class EventSpec(Strict):
    """An event type the plan relies on, with its properties."""

    description: str = ""
    properties: dict[str, FieldSpecT] = Field(default_factory=dict)
    customer_event: bool = True


class DataContract(Strict):
    """The customer fields and event types the plan relies on; everything is checked against it."""

    customer: dict[str, FieldSpecT] = Field(default_factory=dict)
    events: dict[str, EventSpec] = Field(default_factory=dict)


# --- conventions ---------------------------------------------------------------------------


class LifecycleStage(Strict):
    """A lifecycle stage (prospect, new, loyal…): the first stage whose condition holds wins."""

    stage: Id
    when: str
    description: str = ""


class Exclusion(Strict):
    """A named exclusion rule, e.g. ``open_complaint``, with the scenarios it spares."""

    when: str
    except_: list[str] = Field(default_factory=list, alias="except")
    description: str = ""


class Caps(Strict):
    """Maximum messages in rolling day / week / month windows."""

    day: int | None = Field(default=None, ge=0)
    week: int | None = Field(default=None, ge=0)
    month: int | None = Field(default=None, ge=0)


class PressureRules(Strict):
    """Marketing-pressure rules: caps for all channels (``all``) and per channel, minimum gap."""

    caps: dict[Literal["all", "email", "sms", "call", "postal", "push"], Caps] = Field(
        default_factory=dict
    )
    min_gap: DurationT | None = None


class Blackout(Strict):
    """A blackout ("trêve", "zone franche"): dates and the messages it holds back."""

    id: Id
    name: str = ""
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    during: str | None = None
    scope: Literal["all", "scenarios", "campaigns"] | list[str] = "scenarios"
    on_conflict: OnConflict | None = None

    @model_validator(mode="after")
    def _dates_or_season(self) -> Blackout:
        if self.during is None and (self.from_ is None or self.to is None):
            raise ValueError("a blackout needs 'from' and 'to' dates, or 'during' a season")
        if self.during is not None and (self.from_ is not None or self.to is not None):
            raise ValueError("give either 'from'/'to' or 'during', not both")
        return self


class QuietHours(Strict):
    """Hours (local time) and whole days when nothing is sent."""

    start: TimeOfDay = time(21, 0)
    end: TimeOfDay = time(8, 0)
    days: list[Weekday] = Field(default_factory=list)


def _working_days() -> list[Weekday]:
    return ["monday", "tuesday", "wednesday", "thursday", "friday"]


class Capacity(Strict):
    """What a constrained channel can take across all customers: a call centre's calls per day
    or per hour within its opening hours, a postal budget per week.
    """

    hour: int | None = Field(default=None, ge=0)
    day: int | None = Field(default=None, ge=0)
    week: int | None = Field(default=None, ge=0)
    opens: TimeOfDay = time(0, 0)
    closes: TimeOfDay = time(23, 59, 59)
    days: list[Weekday] = Field(default_factory=_working_days)
    # public holidays of this country (ISO code, e.g. FR) are closing days; none when empty
    holidays: str | None = None

    @model_validator(mode="after")
    def _some_limit(self) -> Capacity:
        if self.hour is None and self.day is None and self.week is None:
            raise ValueError("a capacity needs at least one of 'hour', 'day' or 'week'")
        if self.opens >= self.closes:
            raise ValueError("'opens' must be before 'closes'")
        return self


class Sender(Strict):
    """Who a channel's messages come from."""

    name: str = ""
    address: str = ""
    reply_to: str = ""
    # SMS: replace the French letters GSM-7 lacks (ç, ê, œ…), which would make it UCS-2
    transliterate: bool = False


class Retention(Strict):
    """How long data is kept (e.g. per CNIL practice: events 36 months, prospects without
    activity 3 years); ``animato privacy purge`` applies it, ``animato serve`` daily.
    """

    events: DurationT | None = None
    inactive_customers: DurationT | None = None  # no event nor consent change for this long
    quarantine: DurationT | None = None


def _default_weights() -> dict[Criterion, float]:
    return {
        "business_impact": 1.0,
        "data_availability": 1.0,
        "feasibility": 1.0,
        "content_ready": 1.0,
        "legal": 1.0,
        "customer_interest": 1.0,
    }


class ScoreCriterion(Strict):
    """One weighted criterion of a score: a condition that holds for the customer, or not."""

    name: Id
    when: str
    weight: float = Field(default=1.0, gt=0)
    description: str = ""


class Alive(Strict):
    """The part of a score that a BG/NBD model gives from the purchase history of ``event``:
    ``1 - P(alive)``, refitted on the store's history every ``refit``.
    """

    event: str
    weight: float = Field(default=1.0, gt=0)
    refit: DurationT = Field(default_factory=lambda: Duration(30, "d"))
    min_customers: int = Field(default=100, ge=10)
    # fit on at most this many customers (a deterministic sample by hash of the customer id)
    sample: int = Field(default=50_000, ge=100)


class Score(Strict):
    """A per-customer score in [0, 1] ("score d'inactivité"): the weighted share of its criteria
    that hold, with the BG/NBD part where the customer has a history of the event.
    """

    description: str = ""
    criteria: list[ScoreCriterion] = Field(default_factory=list)
    alive: Alive | None = None

    @model_validator(mode="after")
    def _something(self) -> Score:
        if not self.criteria and self.alive is None:
            raise ValueError("a score needs 'criteria', 'alive' or both")
        return self


class Conventions(Strict):
    """The plan's internal conventions: definitions, segments, rules of consent and pressure."""

    definitions: dict[str, str] = Field(default_factory=dict)
    segments: dict[str, str] = Field(default_factory=dict)
    lifecycle: list[LifecycleStage] = Field(default_factory=list)
    scores: dict[Annotated[str, Field(pattern=ID_PATTERN)], Score] = Field(default_factory=dict)
    exclusions: dict[str, Exclusion] = Field(default_factory=dict)
    consent: dict[Channel, str] = Field(
        default_factory=lambda: {c: "marketing" for c in ("email", "sms", "call", "postal", "push")}
    )
    pressure: PressureRules = Field(default_factory=PressureRules)
    blackouts: list[Blackout] = Field(default_factory=list)
    quiet_hours: QuietHours | None = None
    capacity: dict[Channel, Capacity] = Field(default_factory=dict)
    senders: dict[Channel, Sender] = Field(default_factory=dict)
    matrix_weights: dict[Criterion, float] = Field(default_factory=_default_weights)
    retention: Retention = Field(default_factory=Retention)


# --- actions -------------------------------------------------------------------------------


class Kpi(Strict):
    """A business KPI of a program, scenario or campaign."""

    name: str
    metric: Metric
    target: float | None = None
    description: str = ""


class MatrixCriteria(Strict):
    """The seeds' prioritisation criteria, each scored 1 (poor) to 5 (excellent)."""

    business_impact: int = Field(default=3, ge=1, le=5)
    expected_gain: float | None = None
    data_availability: int = Field(default=3, ge=1, le=5)
    feasibility: int = Field(default=3, ge=1, le=5)
    content_ready: int = Field(default=3, ge=1, le=5)
    legal: int = Field(default=3, ge=1, le=5)
    customer_interest: int = Field(default=3, ge=1, le=5)


class Offer(Strict):
    """A commercial offer a message can carry, with its fallback ("offre de repli")."""

    id: Id
    label: str
    kind: Literal["percent", "amount", "gift", "free_shipping", "points", "none"] = "none"
    value: float | None = None
    code: str = ""
    valid_for: DurationT | None = None
    fallback: str | None = None
    description: str = ""


class InactiveSpec(Strict):
    """Inactivity: time since the last ``event``, fixed (``for: 180d``) or per-customer cadence."""

    event: str
    for_: DurationT | Literal["cadence"] = Field(alias="for")
    factor: float = Field(default=2.0, gt=0)
    min_events: int = Field(default=3, ge=2)
    default: DurationT = Field(default_factory=lambda: Duration(180, "d"))
    scope: Literal["customer", "account"] = "customer"


class Trigger(Strict):
    """What starts a scenario: exactly one of ``event``, ``inactive``, ``date`` or ``segment``."""

    event: str | None = None
    where: str | None = None
    inactive: InactiveSpec | None = None
    date: str | None = None
    offset: DurationT = Field(default_factory=lambda: Duration(0, "d"))
    years: list[Annotated[int, Field(ge=1)]] | Literal["every"] | None = None
    late_within: DurationT = Field(default_factory=lambda: Duration(0, "d"))
    segment: str | None = None
    on: Literal["enter", "exit"] = "enter"

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, data: Any) -> Any:
        if isinstance(data, dict):
            kinds = [k for k in ("event", "inactive", "date", "segment") if k in data]
            if len(kinds) != 1:
                raise ValueError(
                    "a trigger needs exactly one of 'event', 'inactive', 'date' or 'segment'"
                    + (f", got {' and '.join(kinds)}" if kinds else "")
                )
            allowed = {
                "event": {"event", "where"},
                "inactive": {"inactive"},
                "date": {"date", "offset", "years", "late_within"},
                "segment": {"segment", "on"},
            }[kinds[0]]
            stray = sorted(set(data) - allowed - {"event", "inactive", "date", "segment"})
            stray = [k for k in stray if k in cls.model_fields or k == "where"]
            if stray:
                raise ValueError(f"'{stray[0]}' does not apply to a {kinds[0]} trigger")
        return data

    @property
    def kind(self) -> str:
        """``event``, ``inactive``, ``date`` or ``segment``."""
        for kind in ("event", "inactive", "date", "segment"):
            if getattr(self, kind) is not None:
                return kind
        raise AssertionError("validated trigger has a kind")


class Reentry(Strict):
    """When a customer may enter a scenario again: ``never``, ``after 90d``, ``max 2 per 365d``."""

    kind: Literal["never", "after", "max"]
    after: DurationT | None = None
    count: int | None = None
    per: DurationT | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if not isinstance(data, str):
            return data
        text = data.strip()
        if text == "never":
            return {"kind": "never"}
        if m := re.fullmatch(r"after\s+(\S+)", text):
            return {"kind": "after", "after": m.group(1)}
        if m := re.fullmatch(r"max\s+(\d+)\s+per\s+(\S+)", text):
            return {"kind": "max", "count": int(m.group(1)), "per": m.group(2)}
        raise ValueError(
            f"'{text}' is not a re-entry rule: expected never, after 90d or max 2 per 365d"
        )

    def __str__(self) -> str:
        if self.kind == "after":
            return f"after {self.after}"
        if self.kind == "max":
            return f"max {self.count} per {self.per}"
        return "never"


class Goal(Strict):
    """The conversion that ends a journey as converted, e.g. a purchase within 30 days."""

    event: str
    within: DurationT = Field(default_factory=lambda: Duration(30, "d"))
    where: str | None = None


class ExitRule(Strict):
    """An event that ends a journey early (complaint opened, unsubscribed…)."""

    event: str
    where: str | None = None


def _exit_shorthand(value: Any) -> Any:
    return {"event": value} if isinstance(value, str) else value


class Fallback(Strict):
    """The channel (and template) used when the customer cannot be reached on the step's own."""

    channel: Channel
    template: str | None = None


def _fallback_shorthand(value: Any) -> Any:
    return {"channel": value} if isinstance(value, str) else value


class Variant(Strict):
    """One arm of an A/B test on a step: its share of the traffic and what it changes (the
    template, the subject, the offer, the sender's name, the send time); the rest is the step's.
    """

    id: Id
    share: Share
    template: str | None = None
    subject: str | None = None
    offer: str | None = None
    sender: str | None = None
    at: TimeOfDay | None = None


class AutoWinner(Strict):
    """Switch all traffic to the winning variant once each has ``after`` messages and the test
    says one converts better.
    """

    after: int = Field(ge=10)


class Step(Strict):
    """One contact time ("temps") of a scenario."""

    id: Id | None = None
    name: str = ""
    wait: DurationT = Field(default_factory=lambda: Duration(0, "d"))
    at: TimeOfDay | None = None
    if_: str | None = Field(default=None, alias="if")
    channel: Channel
    template: str
    offer: str | None = None
    fallback: Annotated[Fallback, BeforeValidator(_fallback_shorthand)] | None = None
    combine_with: list[str] = Field(default_factory=list)
    variants: list[Variant] = Field(default_factory=list)
    auto_winner: AutoWinner | None = None

    @model_validator(mode="after")
    def _variants_add_up(self) -> Step:
        if not self.variants:
            if self.auto_winner is not None:
                raise ValueError("'auto_winner' needs 'variants'")
            return self
        if len(self.variants) < 2:
            raise ValueError("an A/B test needs at least two variants")
        ids = [v.id for v in self.variants]
        if len(set(ids)) != len(ids):
            raise ValueError(f"variant ids must differ, got {', '.join(ids)}")
        total = sum(v.share for v in self.variants)
        if abs(total - 1) > 1e-6:
            raise ValueError(f"variant shares must add up to 100%, got {total:.0%}")
        return self

    def variant(self, variant_id: str | None) -> Variant | None:
        """The variant with this id (None for a step without variants)."""
        return next((v for v in self.variants if v.id == variant_id), None)


class Scenario(Strict):
    """An automated sequence of steps started by a customer trigger."""

    id: Id
    name: str
    objective: str = ""
    description: str = ""
    target: str | None = None
    trigger: Trigger
    when: str | None = None
    exclude: list[str] = Field(default_factory=list)
    reentry: Reentry = Field(default_factory=lambda: Reentry(kind="never"))
    priority: int = Field(default=50, ge=0, le=1000)
    holdout: Share = 0.0
    goal: Goal | None = None
    exit_when: list[Annotated[ExitRule, BeforeValidator(_exit_shorthand)]] = Field(
        default_factory=list
    )
    attribution_window: DurationT = Field(default_factory=lambda: Duration(7, "d"))
    max_delay: DurationT = Field(default_factory=lambda: Duration(3, "d"))
    on_conflict: OnConflict = "postpone"
    kpis: list[Kpi] = Field(default_factory=list)
    matrix: MatrixCriteria = Field(default_factory=MatrixCriteria)
    steps: list[Step] = Field(min_length=1)

    @field_validator("holdout")
    @classmethod
    def _holdout_range(cls, value: float) -> float:
        if not 0 <= value <= 0.5:
            raise ValueError(f"holdout must be between 0% and 50%, got {value:.0%}")
        return value

    @model_validator(mode="after")
    def _name_steps(self) -> Scenario:
        named = [
            s if s.id else s.model_copy(update={"id": f"t{i}"}) for i, s in enumerate(self.steps, 1)
        ]
        object.__setattr__(self, "steps", named)
        return self

    @property
    def channels(self) -> list[str]:
        """Channels the scenario may send on, fallbacks included, in step order."""
        seen: list[str] = []
        for step in self.steps:
            for channel in (step.channel, step.fallback.channel if step.fallback else None):
                if channel and channel not in seen:
                    seen.append(channel)
        return seen


class Recurrence(Strict):
    """When a recurring campaign goes out: yearly on a season, weekly, or monthly."""

    season: str | None = None
    weekday: Weekday | None = None
    month_day: int | None = Field(default=None, ge=1, le=28)
    offset: DurationT = Field(default_factory=lambda: Duration(0, "d"))
    time: TimeOfDay = time(10, 0)

    @model_validator(mode="after")
    def _one_rhythm(self) -> Recurrence:
        given = [k for k in ("season", "weekday", "month_day") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("'every' needs exactly one of 'season', 'weekday' or 'month_day'")
        return self


class Campaign(Strict):
    """A calendar campaign: one-off (``at``) or recurring (``every``), sent to a whole target."""

    id: Id
    name: str
    objective: str = ""
    description: str = ""
    at: datetime | None = None
    every: Recurrence | None = None
    target: str | None = None
    when: str | None = None
    channel: Channel
    template: str
    offer: str | None = None
    fallback: Annotated[Fallback, BeforeValidator(_fallback_shorthand)] | None = None
    priority: int = Field(default=20, ge=0, le=1000)
    on_conflict: OnConflict = "drop"
    holdout: Share = 0.0
    goal: Goal | None = None
    attribution_window: DurationT = Field(default_factory=lambda: Duration(7, "d"))
    kpis: list[Kpi] = Field(default_factory=list)
    matrix: MatrixCriteria = Field(default_factory=MatrixCriteria)

    @model_validator(mode="after")
    def _at_or_every(self) -> Campaign:
        if (self.at is None) == (self.every is None):
            raise ValueError(
                "a campaign needs exactly one of 'at' (one-off) or 'every' (recurring)"
            )
        return self

    @field_validator("holdout")
    @classmethod
    def _holdout_range(cls, value: float) -> float:
        if not 0 <= value <= 0.5:
            raise ValueError(f"holdout must be between 0% and 50%, got {value:.0%}")
        return value


class Program(Strict):
    """A relationship program: an objective, business KPIs, a target, scenarios and campaigns."""

    id: Id
    name: str
    objective: str = ""
    kpis: list[Kpi] = Field(default_factory=list)
    target: str | None = None
    senders: dict[Channel, Sender] = Field(default_factory=dict)
    scenarios: list[Scenario] = Field(default_factory=list)
    campaigns: list[Campaign] = Field(default_factory=list)

    @property
    def actions(self) -> list[Scenario | Campaign]:
        """Scenarios then campaigns, in plan order."""
        return [*self.scenarios, *self.campaigns]


class BrandEvent(Strict):
    """A date of the brand's own calendar (store anniversary, product launch)."""

    id: Id
    name: str
    date: date
    yearly: bool = False


# --- the data-collection map --------------------------------------------------------------


class Collected(Strict):
    """One piece of data a journey stage collects: a customer ``field`` or an ``event`` type,
    why, under which consent (a channel whose consent is asked there) or legal basis, and
    whether it reaches animato in real time or later (a nightly export, a CRM sync).
    """

    field: str | None = None
    event: str | None = None
    why: str
    consent: Channel | Literal["contract", "legitimate_interest", "legal_obligation"] | None = None
    timing: Literal["real_time", "later"] = "real_time"

    @model_validator(mode="after")
    def _field_or_event(self) -> Collected:
        if (self.field is None) == (self.event is None):
            raise ValueError("give exactly one of 'field' (a customer field) or 'event'")
        return self

    @property
    def name(self) -> str:
        """The field or event type collected."""
        return self.field or self.event or ""


class CollectionStage(Strict):
    """A stage of the customer journey (site visit, newsletter signup, checkout, loyalty
    enrolment, call centre…) and the data collected there.
    """

    stage: Id
    name: str = ""
    touchpoint: str = ""  # where: site, store, app, call centre…
    collects: list[Collected] = Field(min_length=1)


class Assume(Strict):
    """Engagement a simulation assumes for a message nobody recorded: shares of sent messages."""

    open_rate: Share = 0.25
    click_rate: Share = 0.04

    @model_validator(mode="after")
    def _clicks_within_opens(self) -> Assume:
        if self.click_rate > self.open_rate:
            raise ValueError("click_rate cannot exceed open_rate (a click is also an open)")
        return self


class Simulation(Strict):
    """How ``animato simulate`` replays the plan: the engagement it assumes."""

    assume: Assume = Field(default_factory=Assume)


class Plan(Strict):
    """A relationship-marketing plan: conventions, offers, programs, and the data they rely on."""

    name: str
    description: str = ""
    timezone: str = "Europe/Paris"
    salt: str = Field(min_length=1)
    global_control: Share = 0.0
    currency: str = "EUR"
    data: DataContract = Field(default_factory=DataContract)
    conventions: Conventions = Field(default_factory=Conventions)
    offers: list[Offer] = Field(default_factory=list)
    brand_events: list[BrandEvent] = Field(default_factory=list)
    programs: list[Program] = Field(default_factory=list)
    collection: list[CollectionStage] = Field(default_factory=list)
    simulation: Simulation = Field(default_factory=Simulation)

    # The folder the plan was loaded from (its templates live there); not part of the plan.
    _folder: Path | None = PrivateAttr(default=None)

    @property
    def folder(self) -> Path | None:
        """The plan folder, when the plan was loaded from one."""
        return self._folder

    def located(self, folder: Path) -> Plan:
        """This plan, knowing the folder it was loaded from."""
        object.__setattr__(self, "_folder", Path(folder))
        return self

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone '{value}': expected an IANA name such as Europe/Paris"
            ) from None
        return value

    @field_validator("global_control")
    @classmethod
    def _control_range(cls, value: float) -> float:
        if not 0 <= value <= 0.5:
            raise ValueError(f"global_control must be between 0% and 50%, got {value:.0%}")
        return value

    @property
    def scenarios(self) -> list[Scenario]:
        """Every scenario, in plan order."""
        return [s for p in self.programs for s in p.scenarios]

    @property
    def campaigns(self) -> list[Campaign]:
        """Every campaign, in plan order."""
        return [c for p in self.programs for c in p.campaigns]

    def program_of(self, action_id: str) -> Program:
        """The program that holds a scenario or campaign."""
        for program in self.programs:
            if any(a.id == action_id for a in program.actions):
                return program
        raise KeyError(action_id)

    def offer(self, offer_id: str) -> Offer:
        """The offer with this id."""
        for offer in self.offers:
            if offer.id == offer_id:
                return offer
        raise KeyError(offer_id)
