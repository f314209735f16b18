"""The demo's customers: who they are (names, contacts, households, loyalty) and their consents.

Everything is drawn with numpy, one chunk of customers at a time, from small embedded French
lists. A customer's behaviour (prospect or buyer, cadence, churn, preferred channel) is drawn here
too, so that :mod:`animato.demo.generator` can turn it into events.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
DAY = 86_400
NO_DAY = -10_000_000  # an unknown date, as a day index (real ones may be negative: birth dates)
HISTORY_YEARS = 12  # loyalty members joined over the last 12 years: 1, 5, 10-year anniversaries

# --- embedded lists --------------------------------------------------------------------------

FEMALE = (
    "Marie Nathalie Isabelle Sylvie Catherine Françoise Christine Sandrine Valérie Céline "
    "Stéphanie Aurélie Julie Camille Léa Manon Chloé Emma Inès Sarah Laura Pauline Élodie Émilie "
    "Anne Monique Martine Nicole Claire Sophie Juliette Louise Jade Zoé Lucie Mathilde Agnès "
    "Hélène Brigitte Véronique Océane Margaux Clara Alice Anaïs Mélanie Virginie Caroline "
    "Laurence Danielle Anne-Sophie Marie-Claire"
).split()
MALE = (
    "Jean Pierre Michel Philippe Alain Nicolas Christophe Patrick Laurent Frédéric Stéphane "
    "Julien Sébastien David Thomas Alexandre Antoine Maxime Lucas Hugo Louis Gabriel Arthur Jules "
    "Léo Nathan Théo Paul Romain Guillaume François Olivier Éric Thierry Bernard Daniel Jacques "
    "André René Didier Vincent Mathieu Benoît Cédric Jérôme Bruno Yann Kévin Adrien Raphaël "
    "Jean-Pierre Jean-Luc"
).split()
LAST = (
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel "
    "Lefebvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine "
    "Rousseau Vincent Muller Lefèvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier "
    "François Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu "
    "Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun "
    "Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche "
    "Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas "
    "Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq "
    "Guillaume Lecomte"
).split()
# city, postal code, country, nearest store ('' for none), weight
CITIES: tuple[tuple[str, str, str, str, float], ...] = (
    ("Paris", "75011", "FR", "paris", 6.0),
    ("Paris", "75015", "FR", "paris", 6.0),
    ("Paris", "75018", "FR", "paris", 4.0),
    ("Boulogne-Billancourt", "92100", "FR", "paris", 2.0),
    ("Versailles", "78000", "FR", "paris", 1.5),
    ("Montreuil", "93100", "FR", "paris", 1.5),
    ("Lyon", "69003", "FR", "lyon", 4.0),
    ("Lyon", "69007", "FR", "lyon", 3.0),
    ("Villeurbanne", "69100", "FR", "lyon", 2.0),
    ("Marseille", "13008", "FR", "marseille", 4.0),
    ("Aix-en-Provence", "13100", "FR", "marseille", 1.5),
    ("Toulouse", "31000", "FR", "toulouse", 4.0),
    ("Nice", "06000", "FR", "nice", 3.0),
    ("Nantes", "44000", "FR", "nantes", 3.0),
    ("Angers", "49000", "FR", "nantes", 1.5),
    ("Strasbourg", "67000", "FR", "strasbourg", 3.0),
    ("Bordeaux", "33000", "FR", "bordeaux", 3.5),
    ("Mérignac", "33700", "FR", "bordeaux", 1.0),
    ("Pessac", "33600", "FR", "bordeaux", 0.8),
    ("Talence", "33400", "FR", "bordeaux", 0.6),
    ("Bègles", "33130", "FR", "bordeaux", 0.4),
    ("Lille", "59000", "FR", "lille", 3.0),
    ("Roubaix", "59100", "FR", "lille", 1.0),
    ("Rennes", "35000", "FR", "rennes", 2.5),
    ("Montpellier", "34000", "FR", "", 2.5),
    ("Grenoble", "38000", "FR", "lyon", 1.5),
    ("Dijon", "21000", "FR", "", 1.2),
    ("Reims", "51100", "FR", "", 1.2),
    ("Tours", "37000", "FR", "", 1.2),
    ("Clermont-Ferrand", "63000", "FR", "", 1.2),
    ("Annecy", "74000", "FR", "", 1.0),
    ("Brest", "29200", "FR", "rennes", 1.0),
    ("Bruxelles", "1000", "BE", "bruxelles", 2.5),
    ("Liège", "4000", "BE", "bruxelles", 1.0),
    ("Namur", "5000", "BE", "bruxelles", 0.6),
    ("Luxembourg", "1009", "LU", "", 1.0),
    ("Genève", "1201", "CH", "", 0.6),
    ("Lausanne", "1003", "CH", "", 0.4),
)
STORES = tuple(sorted({store for *_, store, _ in CITIES if store}))
STREET_KINDS = ("rue", "rue", "rue", "avenue", "boulevard", "place", "allée", "impasse", "chemin")
STREET_NAMES = (
    "de la République",
    "Victor Hugo",
    "Jean Jaurès",
    "de la Paix",
    "Pasteur",
    "du Général de Gaulle",
    "des Lilas",
    "de la Gare",
    "Gambetta",
    "Voltaire",
    "des Écoles",
    "du Moulin",
    "de l'Église",
    "Émile Zola",
    "des Tilleuls",
    "du Château",
    "Carnot",
    "Foch",
    "de Verdun",
    "des Roses",
    "Nationale",
    "Saint-Michel",
    "des Acacias",
    "de la Liberté",
)
EMAIL_DOMAINS = ("example.fr", "example.com", "example.net", "example.org")
GENDERS = ("femme", "homme", "non_precise")
ROLES = ("titulaire", "cotitulaire", "membre")
TIERS = ("essentiel", "argent", "or")
PREFERRED = ("magasin", "web", "appli")  # a customer's usual channel of purchase
SIGNUP_SOURCES = ("site", "magasin", "appli", "jeu_concours")
CONSENT_SOURCES = ("formulaire_site", "caisse_magasin", "appli", "jeu_concours")
CATEGORIES = ("mode", "maison", "linge", "decoration", "beaute", "enfant")
CATEGORY_SHARE = (0.34, 0.17, 0.14, 0.16, 0.11, 0.08)
# Consent wording in force from each date (the ledger keeps which one a customer accepted).
WORDINGS = (
    (date(2000, 1, 1), "cgv-2011"),
    (date(2018, 5, 25), "rgpd-2018-05"),
    (date(2022, 1, 10), "rgpd-2022-01"),
    (date(2025, 3, 3), "rgpd-2025-03"),
)

# --- shares ----------------------------------------------------------------------------------

PROSPECT_SHARE = 0.20  # signed up, never bought
MEMBER_SHARE_OF_BUYERS = 0.75  # so about 60% of all customers are loyalty members
CHURN_SHARE = 0.35  # buyers who stop buying at some point of the period
SUBSCRIBER_SHARE_OF_BUYERS = 0.10  # Lumière+: about 8% of all customers
EMPLOYEE_SHARE = 0.01
BAD_EMAIL_SHARE = 0.005
BAD_PHONE_SHARE = 0.005
LEAP_DAY_SHARE = 0.003  # birth dates on 29 February (the engine fires them on 28 February)
HOUSEHOLD_SHARES = (0.70, 0.18, 0.08, 0.04)  # customers living alone, in a 2, 3, 4-person home


def ascii_fold(text: str) -> str:
    """``text`` without accents, spaces or apostrophes, lower-cased: the way it is in an email."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace(" ", "").replace("'", "").lower()


def _zipf(n: int, power: float = 0.7) -> Floats:
    weights = 1.0 / np.arange(1, n + 1) ** power
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def pick(values: tuple[str, ...] | list[str], codes: npt.NDArray[np.integer]) -> pa.Array:
    """``values[code]`` per row, null where the code is negative."""
    codes = np.asarray(codes)
    mask = codes < 0
    indices = pa.array(np.where(mask, 0, codes).astype(np.int32), mask=mask)
    return pc.take(pa.array(list(values), pa.string()), indices)


def padded(numbers: npt.NDArray[np.integer], width: int) -> pa.Array:
    """Integers as text, left-padded with zeros to ``width`` digits."""
    return pc.utf8_lpad(
        pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0"
    )


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and constant strings."""
    return pc.binary_join_element_wise(*parts, "")


def customer_ids(numbers: Ints) -> pa.Array:
    """The customer ids of customer numbers (``ML000000042``)."""
    return concat("ML", padded(numbers, 9))


# --- the calendar ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """The demo's time axis: local days from the start of history to the end date (excluded).

    Times are kept as local seconds since the first day's midnight, then converted to UTC with
    the offset of their local hour (a time skipped or repeated by a clock change gets one of them).
    """

    zone: ZoneInfo
    first: date  # first day of history (customers were created from then on)
    start: int  # index of the first day of the event period
    days: int  # index of the end date: nothing happens on or after it
    offsets: Ints  # UTC offset of each local hour, in seconds (days × 24)
    weekday: Ints  # 0 = Monday

    @classmethod
    def of(cls, zone: str, end: date, years: int) -> Calendar:
        """The calendar of a period of ``years`` years ending at ``end`` (local midnight)."""
        tz = ZoneInfo(zone)
        first = _years_before(end, max(HISTORY_YEARS, years) + 1)
        start = (_years_before(end, years) - first).days
        days = (end - first).days

        def offset(day: int, hour: int) -> int:
            moment = datetime.combine(first + timedelta(days=day), time(hour), tz).utcoffset()
            return int(moment.total_seconds()) if moment is not None else 0

        # one zone look-up per day (a few thousand), per hour on the days the clocks change
        daily = np.array([[offset(d, 0), offset(d, 23)] for d in range(days)], dtype=np.int64)
        offsets = np.repeat(daily[:, 0], 24)
        for day in np.flatnonzero(daily[:, 0] != daily[:, 1]).tolist():
            offsets[day * 24 : day * 24 + 24] = [offset(day, hour) for hour in range(24)]
        weekday = (np.arange(days) + first.weekday()) % 7
        return cls(tz, first, start, days, offsets, weekday.astype(np.int64))

    def date_of(self, index: int) -> date:
        """The local date of a day index."""
        return self.first + timedelta(days=index)

    def index_of(self, day: date) -> int:
        """The day index of a local date."""
        return (day - self.first).days

    def utc_us(self, seconds: Ints) -> Ints:
        """Local seconds since the first day's midnight as UTC microseconds since the epoch."""
        epoch = (self.first - date(1970, 1, 1)).days * DAY
        hour = np.clip(seconds // 3600, 0, self.days * 24 - 1)
        return np.asarray((epoch + seconds - self.offsets[hour]) * 1_000_000, dtype=np.int64)

    def epoch_days(self, day_index: Ints) -> Ints:
        """Day indexes as days since 1970-01-01 (Arrow's date32)."""
        return np.asarray(day_index + (self.first - date(1970, 1, 1)).days, dtype=np.int64)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- the population --------------------------------------------------------------------------


@dataclass
class Population:
    """One chunk of customers: identity, contacts, household, loyalty and behaviour."""

    number: Ints  # global customer number (ids are ML + 9 digits)
    prospect: Bools
    created: Ints  # local seconds
    active_until: Floats  # day (float) after which a buyer buys no more (churn) or the end
    interval: Floats  # mean days between two purchases
    preferred: Ints  # index in PREFERRED
    favourite: Ints  # index in CATEGORIES
    engaged: Bools  # reads and clicks the emails
    gender: Ints
    first_name: Ints  # index in the gender's list (FEMALE, MALE)
    last_name: Ints
    email: pa.Array
    phone: pa.Array
    has_email: Bools
    has_phone: Bools
    birth_day: Ints  # day index (negative: before the calendar's first day), NO_DAY for none
    city: Ints  # index in CITIES
    has_address: Bools
    street: pa.Array
    store: Ints  # index in STORES, -1 for none
    household: Ints  # number of the household's first customer, -1 alone
    role: Ints  # index in ROLES, -1 alone
    member: Bools
    joined: Ints  # day index of loyalty membership, NO_DAY for none
    subscription_ends: Ints  # day index, NO_DAY for none
    employee: Bools
    signup: Ints  # source index of a newsletter signup at creation, -1 for none

    @property
    def size(self) -> int:
        """Number of customers in the chunk."""
        return len(self.number)

    @property
    def created_day(self) -> Floats:
        """Creation time as a (fractional) day index."""
        return np.asarray(self.created / DAY, dtype=np.float64)


def draw_population(rng: np.random.Generator, cal: Calendar, first: int, n: int) -> Population:
    """Draw ``n`` customers numbered from ``first``."""
    number = np.arange(first, first + n, dtype=np.int64)
    prospect = rng.random(n) < PROSPECT_SHARE
    end = cal.days
    # Creation: buyers over 12 years (a third of them during the period), prospects mostly recent.
    recent = rng.random(n) < np.where(prospect, 0.85, 0.30)
    old_day = rng.uniform(0, cal.start, n)
    new_day = cal.start + (end - cal.start) * np.sqrt(rng.random(n))  # the base grows
    created_day = np.where(recent, new_day, old_day)
    created = np.minimum((created_day * DAY).astype(np.int64), end * DAY - 3600)
    created_day = created / DAY
    begin = np.maximum(created_day, cal.start)
    churns = ~prospect & (rng.random(n) < CHURN_SHARE)
    churn_day = begin + (end - begin) * rng.uniform(0.05, 1.0, n)
    active_until = np.where(churns, churn_day, float(end))
    interval = np.clip(rng.lognormal(np.log(100.0), 0.75, n), 7.0, 900.0)
    preferred = rng.choice(3, n, p=[0.55, 0.30, 0.15])
    favourite = rng.choice(len(CATEGORIES), n, p=CATEGORY_SHARE)
    engaged = rng.random(n) < 0.35

    head, role = _households(rng, n)
    in_household = role >= 0
    household = np.where(in_household, number[head], -1)

    gender = rng.choice(3, n, p=[0.55, 0.40, 0.05])
    list_of = np.where(gender == 2, rng.integers(0, 2, n), gender)  # 0: FEMALE, 1: MALE
    first_name = np.where(
        list_of == 0,
        rng.choice(len(FEMALE), n, p=_zipf(len(FEMALE))),
        rng.choice(len(MALE), n, p=_zipf(len(MALE))),
    )
    own_last = rng.choice(len(LAST), n, p=_zipf(len(LAST)))
    keeps_name = rng.random(n) < 0.3  # partners who kept their own name
    last_name = np.where(in_household & ~keeps_name, own_last[head], own_last)

    weights = np.array([c[4] for c in CITIES])
    city = rng.choice(len(CITIES), n, p=weights / weights.sum())[head]
    has_address = (rng.random(n) < np.where(prospect, 0.4, 0.88))[head]
    street = concat(
        pc.cast(pa.array(rng.integers(1, 160, n)[head]), pa.string()),
        " ",
        pick(STREET_KINDS, rng.integers(0, len(STREET_KINDS), n)[head]),
        " ",
        pick(STREET_NAMES, rng.integers(0, len(STREET_NAMES), n)[head]),
    )
    city_store = np.array([STORES.index(c[3]) if c[3] else -1 for c in CITIES])[city]
    online_only = (preferred != 0) & (rng.random(n) < 0.5)
    store = np.where(online_only, -1, city_store)[head]

    member = ~prospect & ((rng.random(n) < MEMBER_SHARE_OF_BUYERS) | (role == 0))
    delay = np.where(rng.random(n) < 0.5, 0.0, rng.exponential(300.0, n))
    joined_day = np.minimum(np.floor(created_day + delay), end - 1).astype(np.int64)
    joined_day = np.where(member, joined_day, NO_DAY)
    subscriber = ~prospect & (rng.random(n) < SUBSCRIBER_SHARE_OF_BUYERS)
    ends_day = end + rng.integers(-90, 365, n)  # a year after the last payment
    ends_day = np.maximum(ends_day, np.ceil(begin).astype(np.int64) + 365)
    subscription_ends = np.where(subscriber, ends_day, NO_DAY)
    employee = ~prospect & (rng.random(n) < EMPLOYEE_SHARE)
    signs_up = (created_day >= cal.start) & (rng.random(n) < np.where(prospect, 0.92, 0.35))
    signup = np.where(signs_up, rng.choice(4, n, p=[0.5, 0.25, 0.15, 0.10]), -1)

    birth_day = _birth_days(rng, cal, n, prospect)
    has_email = rng.random(n) < np.where(prospect, 0.99, 0.92)
    has_phone = rng.random(n) < np.where(prospect, 0.45, 0.75)
    bad_email = has_email & (rng.random(n) < BAD_EMAIL_SHARE)
    bad_phone = has_phone & ~bad_email & (rng.random(n) < BAD_PHONE_SHARE)
    country = np.array([c[2] for c in CITIES])[city]
    email = _emails(rng, number, list_of, first_name, last_name, has_email, bad_email)
    phone = _phones(rng, country, has_phone, bad_phone)
    return Population(
        number=number,
        prospect=prospect,
        created=created,
        active_until=active_until,
        interval=interval,
        preferred=preferred,
        favourite=favourite,
        engaged=engaged,
        gender=gender,
        first_name=np.where(list_of == 0, first_name, first_name + len(FEMALE)),
        last_name=last_name,
        email=email,
        phone=phone,
        has_email=has_email & ~bad_email,
        has_phone=has_phone & ~bad_phone,
        birth_day=birth_day,
        city=city,
        has_address=has_address,
        street=street,
        store=store,
        household=household,
        role=role,
        member=member,
        joined=joined_day,
        subscription_ends=subscription_ends,
        employee=employee,
        signup=signup,
    )


def _households(rng: np.random.Generator, n: int) -> tuple[Ints, Ints]:
    """Households of consecutive customers: each one's first member (``head``) and ``role``.

    A customer living alone is their own head, with role -1; in a household the first member is
    the holder (titulaire), the second most often the co-holder, the others members.
    """
    sizes = rng.choice(4, n, p=_group_shares()) + 1
    ends = np.cumsum(sizes)
    ends = ends[: int(np.searchsorted(ends, n)) + 1]
    ends[-1] = n
    heads = np.concatenate(([0], ends[:-1]))
    size = np.repeat(ends - heads, ends - heads)
    head = np.repeat(heads, ends - heads)
    position = np.arange(n) - head
    second = np.where(rng.random(n) < 0.7, 1, 2)
    role = np.where(position == 0, 0, np.where(position == 1, second, 2))
    return head.astype(np.int64), np.where(size > 1, role, -1).astype(np.int64)


def _group_shares() -> Floats:
    """Probabilities of household sizes 1 to 4 that give HOUSEHOLD_SHARES of customers."""
    groups = np.array(HOUSEHOLD_SHARES) / np.arange(1, 5)
    return np.asarray(groups / groups.sum(), dtype=np.float64)


def _birth_days(rng: np.random.Generator, cal: Calendar, n: int, prospect: Bools) -> Ints:
    """Birth dates for ages 18 to 80 at the end date, a few on 29 February, some unknown."""
    end = cal.days
    age = 18 + 62 * rng.beta(2.2, 2.6, n)
    day = end - (age * 365.25).astype(np.int64)
    end_year = cal.date_of(end).year
    leap_years = [y for y in range(end_year - 79, end_year - 18) if y % 4 == 0 and y % 100 != 0]
    leap = np.array([cal.index_of(date(y, 2, 29)) for y in leap_years], dtype=np.int64)
    on_leap_day = rng.random(n) < LEAP_DAY_SHARE
    day = np.where(on_leap_day, leap[rng.integers(0, len(leap), n)], day)
    known = rng.random(n) < np.where(prospect, 0.55, 0.88)
    return np.where(known, day, NO_DAY)


_FOLDED = [ascii_fold(name) for name in (*FEMALE, *MALE)]
_FOLDED_LAST = [ascii_fold(name) for name in LAST]


def _emails(
    rng: np.random.Generator,
    number: Ints,
    list_of: Ints,
    first_name: Ints,
    last_name: Ints,
    present: Bools,
    bad: Bools,
) -> pa.Array:
    """``prenom.nom.N@example.fr``: unique; a few capitalised; ``bad`` ones broken on purpose."""
    n = len(number)
    first = np.where(list_of == 0, first_name, first_name + len(FEMALE))
    capitalised = rng.random(n) < 0.04
    firsts = pick(_FOLDED + [s.capitalize() for s in _FOLDED], first + capitalised * len(_FOLDED))
    lasts = pick(
        _FOLDED_LAST + [s.capitalize() for s in _FOLDED_LAST],
        last_name + capitalised * len(_FOLDED_LAST),
    )
    local = concat(firsts, ".", lasts, ".", pc.cast(pa.array(number), pa.string()))
    domain = pick(EMAIL_DOMAINS, rng.choice(len(EMAIL_DOMAINS), n, p=[0.6, 0.25, 0.1, 0.05]))
    good = concat(local, "@", domain)
    broken = pc.choose(
        pa.array(rng.integers(0, 4, n).astype(np.int8)),
        concat(local, ".", domain),  # no @
        concat(local, "@@", domain),
        concat(local, "@example"),  # no top-level domain
        concat(firsts, " ", lasts, "@", domain),  # a space
    )
    return pc.if_else(pa.array(present), pc.if_else(pa.array(bad), broken, good), None)


def _phones(
    rng: np.random.Generator, country: npt.NDArray[np.str_], present: Bools, bad: Bools
) -> pa.Array:
    """Mobile numbers written as people write them: ``06 12 34 56 78``, ``+33612345678``…"""
    n = len(country)
    digits = rng.integers(0, 10_000_000, n)
    seven_digits = padded(digits, 7)
    # France: 6[0-2 4-8] or 7[3-9], then 7 digits, written in groups of two after the first one
    six = np.array([0, 1, 2, 4, 5, 6, 7, 8])[rng.integers(0, 8, n)]
    seven = rng.integers(3, 10, n)
    mobile = rng.random(n) < 0.7
    lead = pc.cast(pa.array(np.where(mobile, 6, 7)), pa.string())
    second = pc.cast(pa.array(np.where(mobile, six, seven)), pa.string())
    groups = [
        concat(second, pc.utf8_slice_codeunits(seven_digits, 0, 1)),
        pc.utf8_slice_codeunits(seven_digits, 1, 3),
        pc.utf8_slice_codeunits(seven_digits, 3, 5),
        pc.utf8_slice_codeunits(seven_digits, 5, 7),
    ]
    spaced = concat(groups[0], " ", groups[1], " ", groups[2], " ", groups[3])
    compact = concat(groups[0], groups[1], groups[2], groups[3])
    french = pc.choose(
        pa.array(rng.choice(4, n, p=[0.45, 0.15, 0.2, 0.2]).astype(np.int8)),
        concat("0", lead, " ", spaced),
        concat("0", lead, compact),
        concat("+33 ", lead, " ", spaced),
        concat("+33", lead, compact),
    )
    truncated = concat("0", lead, " ", groups[0], " ", groups[1], " ", groups[2])
    belgian = concat(
        "+32 4",
        pc.cast(pa.array(rng.integers(5, 10, n)), pa.string()),
        pc.utf8_slice_codeunits(seven_digits, 0, 1),
        " ",
        pc.utf8_slice_codeunits(seven_digits, 1, 3),
        " ",
        pc.utf8_slice_codeunits(seven_digits, 3, 5),
        " ",
        pc.utf8_slice_codeunits(seven_digits, 5, 7),
    )
    luxembourg = concat(
        pick(("+352 621 ", "+352 661 ", "+352 691 "), rng.integers(0, 3, n)),
        padded(digits // 10 % 1000, 3),
        " ",
        padded(digits // 10_000 % 1000, 3),
    )
    swiss = concat(
        pick(("+41 76 ", "+41 78 ", "+41 79 "), rng.integers(0, 3, n)),
        pc.utf8_slice_codeunits(seven_digits, 0, 3),
        " ",
        pc.utf8_slice_codeunits(seven_digits, 3, 5),
        " ",
        pc.utf8_slice_codeunits(seven_digits, 5, 7),
    )
    where = np.select([country == "BE", country == "LU", country == "CH"], [1, 2, 3], 0)
    good = pc.choose(pa.array(where.astype(np.int8)), french, belgian, luxembourg, swiss)
    return pc.if_else(pa.array(present), pc.if_else(pa.array(bad), truncated, good), None)


# --- consents --------------------------------------------------------------------------------

CONSENT_CHANNELS = ("email", "sms", "call", "postal", "push")
GRANT_SHARE = {"email": 0.85, "sms": 0.55, "call": 0.20, "postal": 0.45, "push": 0.60}
WITHDRAWAL_SHARE = 0.15  # of grants, withdrawn after WITHDRAWAL_DELAY days on average
WITHDRAWAL_DELAY = 900.0
WITHDRAWAL_SOURCES = ("lien_desinscription", "stop_sms", "service_clients", "appli")
_WITHDRAWN_BY = {"email": 0, "sms": 1, "call": 2, "postal": 2, "push": 3}


@dataclass
class Ledger:
    """The consents of one chunk: grants at creation, some withdrawn later (one row each)."""

    owner: Ints
    channel: Ints  # index in CONSENT_CHANNELS
    granted: Bools
    seconds: Ints
    source: pa.Array
    email_from: Ints  # per customer: when email consent was given (-1: never)
    email_until: Ints  # per customer: when it was withdrawn (the end when it was not)


def draw_consents(rng: np.random.Generator, cal: Calendar, pop: Population) -> Ledger:
    """Grants at creation for the channels a customer has an address for; some withdrawn later."""
    n, end = pop.size, cal.days * DAY
    email_present = pc.is_valid(pop.email).to_numpy(zero_copy_only=False)
    phone_present = pc.is_valid(pop.phone).to_numpy(zero_copy_only=False)
    app_user = (pop.preferred == 2) | ((pop.preferred == 1) & (rng.random(n) < 0.3))
    eligible = {
        "email": email_present,
        "sms": phone_present,
        "call": phone_present,
        "postal": pop.has_address,
        "push": app_user,
    }
    by_signup = np.array([0, 1, 2, 3])  # signup source -> consent source
    by_channel = np.array([1, 0, 2])  # preferred channel -> consent source
    origin = np.where(
        pop.signup >= 0, by_signup[np.maximum(pop.signup, 0)], by_channel[pop.preferred]
    )
    owners, channels, granted, seconds, sources = [], [], [], [], []
    email_from = np.full(n, -1, dtype=np.int64)
    email_until = np.full(n, end, dtype=np.int64)
    for c, channel in enumerate(CONSENT_CHANNELS):
        gives = eligible[channel] & (rng.random(n) < GRANT_SHARE[channel])
        who = np.flatnonzero(gives)
        at = pop.created[who] + rng.integers(0, 120, who.size)
        owners.append(who)
        channels.append(np.full(who.size, c))
        granted.append(np.ones(who.size, dtype=bool))
        seconds.append(at)
        sources.append(origin[who])
        delay = (rng.exponential(WITHDRAWAL_DELAY, who.size) * DAY).astype(np.int64)
        withdraws = (rng.random(who.size) < WITHDRAWAL_SHARE) & (at + delay < end)
        later = at[withdraws] + delay[withdraws]
        owners.append(who[withdraws])
        channels.append(np.full(later.size, c))
        granted.append(np.zeros(later.size, dtype=bool))
        seconds.append(later)
        sources.append(np.full(later.size, len(CONSENT_SOURCES) + _WITHDRAWN_BY[channel]))
        if channel == "email":
            email_from[who] = at
            email_until[who[withdraws]] = later
    source = np.concatenate(sources)
    return Ledger(
        owner=np.concatenate(owners),
        channel=np.concatenate(channels),
        granted=np.concatenate(granted),
        seconds=np.minimum(np.concatenate(seconds), end - 1),
        source=pick(CONSENT_SOURCES + WITHDRAWAL_SOURCES, source),
        email_from=email_from,
        email_until=email_until,
    )


def consents_table(
    cal: Calendar, pop: Population, ledger: Ledger, purposes: dict[str, str]
) -> pa.Table:
    """The consent ledger as ingest reads it: customer, channel, purpose, granted, time, source."""
    keep = np.isin(ledger.channel, [CONSENT_CHANNELS.index(c) for c in purposes])
    order = np.lexsort((ledger.channel[keep], ledger.seconds[keep], ledger.owner[keep]))
    index = np.flatnonzero(keep)[order]
    owner, channel, seconds = ledger.owner[index], ledger.channel[index], ledger.seconds[index]
    cutoffs = np.array([cal.index_of(d) * DAY for d, _ in WORDINGS])
    wording = np.searchsorted(cutoffs, seconds, side="right") - 1
    return pa.table(
        {
            "customer_id": pc.take(customer_ids(pop.number), pa.array(owner)),
            "channel": pick(CONSENT_CHANNELS, channel),
            "purpose": pick([purposes.get(c, "") for c in CONSENT_CHANNELS], channel),
            "granted": pa.array(ledger.granted[index]),
            "time": _timestamps(cal, seconds),
            "source": pc.take(ledger.source, pa.array(index)),
            "wording_version": pick([w for _, w in WORDINGS], np.maximum(wording, 0)),
        }
    )


def _timestamps(cal: Calendar, seconds: Ints, mask: Bools | None = None) -> pa.Array:
    """Local seconds as a UTC timestamp column (null where ``mask``)."""
    return pa.array(cal.utc_us(seconds), pa.timestamp("us", tz="UTC"), mask=mask)


def _dates(cal: Calendar, day_index: Ints) -> pa.Array:
    """Day indexes as a date column, null for NO_DAY."""
    none = day_index == NO_DAY
    days = cal.epoch_days(np.where(none, 0, day_index)).astype(np.int32)
    return pa.array(days, pa.date32(), mask=none)


# --- the customer file -----------------------------------------------------------------------


@dataclass
class Activity:
    """What the events say about each customer of a chunk, for the fields that sum them up."""

    spend_365: Floats  # purchases over the last 365 days
    points_365: Ints  # loyalty points earned over the last 365 days
    last_visit: Ints  # local seconds, -1 for none


def customers_table(
    rng: np.random.Generator, cal: Calendar, pop: Population, activity: Activity
) -> pa.Table:
    """Customers as the contract names their fields (the plan's ``column:`` names come later)."""
    n, end = pop.size, cal.days * DAY
    member = pop.member
    points = (activity.points_365 * rng.uniform(0.3, 1.0, n)).astype(np.int64)
    points += np.where(member, rng.integers(0, 150, n), 0)
    tier = np.select([activity.spend_365 >= 1200, activity.spend_365 >= 400], [2, 1], 0)
    logs_in = rng.random(n) < 0.3
    someday = pop.created + (rng.random(n) * (end - pop.created)).astype(np.int64)
    last_login = np.where(
        activity.last_visit >= 0, activity.last_visit, np.where(logs_in, someday, -1)
    )
    address = pa.array(pop.has_address)
    city = np.where(pop.has_address, pop.city, -1)
    country = np.array([c[2] for c in CITIES])[pop.city]
    return pa.table(
        {
            "customer_id": customer_ids(pop.number),
            "first_name": pick([*FEMALE, *MALE], pop.first_name),
            "last_name": pick(LAST, pop.last_name),
            "gender": pick(GENDERS, pop.gender),
            "email": pop.email,
            "phone": pop.phone,
            "birth_date": _dates(cal, pop.birth_day),
            "street": pc.if_else(address, pop.street, None),
            "postal_code": pick([c[1] for c in CITIES], city),
            "city": pick([c[0] for c in CITIES], city),
            "country": pa.array(country.astype(object), pa.string()),
            "account_id": pc.if_else(
                pa.array(pop.household >= 0), concat("F", padded(pop.household, 9)), None
            ),
            "role": pick(ROLES, pop.role),
            "loyalty_joined_at": _dates(cal, pop.joined),
            "loyalty_points": pa.array(points, mask=~member),
            "loyalty_tier": pick(TIERS, np.where(member, tier, -1)),
            "preferred_store": pick(STORES, pop.store),
            "subscription_ends_at": _dates(cal, pop.subscription_ends),
            "last_login_at": _timestamps(cal, np.maximum(last_login, 0), last_login < 0),
            "employee": pa.array(pop.employee),
            "created_at": _timestamps(cal, pop.created),
        }
    )
