"""A consistent synthetic population for the registry (``motcua registry seed``).

Names and addresses come from Faker's ``vi_VN`` locale: Faker fills small pools once, then numpy
samples from them for every person, because calling Faker per row is far too slow for a million
citizens. The structure is generated household by household so that it is consistent:

* every household has one head; members say how they relate to the head;
* married couples point at each other and both are ``married``; other adults are single, divorced or
  widowed;
* children are born when their mother was 18-42 and their father 20-50, so parents are always older;
* some households keep a widowed parent of the head, some of whom have died (date of death set, no
  longer a household member, status ``deceased`` at look-up);
* personal ID numbers are valid and unique: province of birth registration (3 digits), century/sex
  digit, last two digits of the birth year, six random digits.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
from faker import Faker
from sqlalchemy import Engine, text

# Province codes of the personal ID number (the 63 provinces before the 2025 merger; mergers do not
# change IDs). Weights roughly follow population.
PROVINCES: dict[str, str] = {
    "001": "Thành phố Hà Nội", "002": "Tỉnh Hà Giang", "004": "Tỉnh Cao Bằng", "006": "Tỉnh Bắc Kạn",
    "008": "Tỉnh Tuyên Quang", "010": "Tỉnh Lào Cai", "011": "Tỉnh Điện Biên", "012": "Tỉnh Lai Châu",
    "014": "Tỉnh Sơn La", "015": "Tỉnh Yên Bái", "017": "Tỉnh Hòa Bình", "019": "Tỉnh Thái Nguyên",
    "020": "Tỉnh Lạng Sơn", "022": "Tỉnh Quảng Ninh", "024": "Tỉnh Bắc Giang", "025": "Tỉnh Phú Thọ",
    "026": "Tỉnh Vĩnh Phúc", "027": "Tỉnh Bắc Ninh", "030": "Tỉnh Hải Dương", "031": "Thành phố Hải Phòng",
    "033": "Tỉnh Hưng Yên", "034": "Tỉnh Thái Bình", "035": "Tỉnh Hà Nam", "036": "Tỉnh Nam Định",
    "037": "Tỉnh Ninh Bình", "038": "Tỉnh Thanh Hóa", "040": "Tỉnh Nghệ An", "042": "Tỉnh Hà Tĩnh",
    "044": "Tỉnh Quảng Bình", "045": "Tỉnh Quảng Trị", "046": "Tỉnh Thừa Thiên Huế",
    "048": "Thành phố Đà Nẵng", "049": "Tỉnh Quảng Nam", "051": "Tỉnh Quảng Ngãi", "052": "Tỉnh Bình Định",
    "054": "Tỉnh Phú Yên", "056": "Tỉnh Khánh Hòa", "058": "Tỉnh Ninh Thuận", "060": "Tỉnh Bình Thuận",
    "062": "Tỉnh Kon Tum", "064": "Tỉnh Gia Lai", "066": "Tỉnh Đắk Lắk", "067": "Tỉnh Đắk Nông",
    "068": "Tỉnh Lâm Đồng", "070": "Tỉnh Bình Phước", "072": "Tỉnh Tây Ninh", "074": "Tỉnh Bình Dương",
    "075": "Tỉnh Đồng Nai", "077": "Tỉnh Bà Rịa - Vũng Tàu", "079": "Thành phố Hồ Chí Minh",
    "080": "Tỉnh Long An", "082": "Tỉnh Tiền Giang", "083": "Tỉnh Bến Tre", "084": "Tỉnh Trà Vinh",
    "086": "Tỉnh Vĩnh Long", "087": "Tỉnh Đồng Tháp", "089": "Tỉnh An Giang", "091": "Tỉnh Kiên Giang",
    "092": "Thành phố Cần Thơ", "093": "Tỉnh Hậu Giang", "094": "Tỉnh Sóc Trăng", "095": "Tỉnh Bạc Liêu",
    "096": "Tỉnh Cà Mau",
}  # fmt: skip
_BIG = {"001": 8.5, "079": 9.5, "038": 3.7, "040": 3.4, "031": 2.1, "075": 3.2, "074": 2.6}
PROVINCE_CODES = list(PROVINCES)
PROVINCE_WEIGHTS = np.array([_BIG.get(c, 1.2) for c in PROVINCE_CODES]) / sum(
    _BIG.get(c, 1.2) for c in PROVINCE_CODES
)
ETHNICITIES = (
    ("Kinh", 85.3), ("Tày", 1.9), ("Thái", 1.9), ("Mường", 1.5), ("Khmer", 1.4), ("Hoa", 0.8),
    ("Nùng", 1.1), ("H'Mông", 1.4), ("Dao", 0.9), ("Gia Rai", 0.5), ("Ê Đê", 0.4), ("Chăm", 0.2),
)  # fmt: skip
RELIGIONS = (
    (None, 86.0), ("Phật giáo", 5.0), ("Công giáo", 6.1), ("Tin Lành", 1.0), ("Cao Đài", 1.1),
    ("Phật giáo Hòa Hảo", 0.8),
)  # fmt: skip
BLOOD_GROUPS = (("O", 42), ("A", 21), ("B", 31), ("AB", 6))
TODAY = date(2026, 1, 1)
MARITAL_CODES = ("single", "married", "divorced", "widowed")

CITIZEN_COLUMNS = (
    "id_number", "full_name", "other_names", "date_of_birth", "sex", "place_of_birth",
    "birth_registration_province", "home_town", "ethnicity", "religion", "nationality", "blood_group",
    "old_id_number", "id_card_issued_on", "father_id_number", "mother_id_number", "spouse_id_number",
    "representative_id_number", "marital_status", "household_id", "relationship_to_head",
    "permanent_residence", "temporary_residence", "current_residence", "temporarily_absent",
    "date_of_death", "phone", "email",
)  # fmt: skip
HOUSEHOLD_COLUMNS = ("id", "file_number", "head_id_number", "province_code", "address")


def id_number_valid(value: str, date_of_birth: date, sex: str) -> bool:
    """Whether a personal ID number agrees with the rules and with the person's birth and sex."""
    if len(value) != 12 or not value.isdigit() or value[:3] not in PROVINCES:
        return False
    century = (date_of_birth.year // 100) - 19  # 1900s -> 0, 2000s -> 1, 2100s -> 2
    return int(value[3]) == century * 2 + (1 if sex == "F" else 0) and value[4:6] == f"{date_of_birth:%y}"


@dataclass(frozen=True)
class SeedReport:
    citizens: int
    households: int
    married_couples: int
    deceased: int
    seconds: float
    generate_seconds: float
    insert_seconds: float
    cpu_seconds: float = 0.0  # this process's CPU time: what the wall time would be on an idle machine


class _People:
    """Column lists built household by household; references to other people are row indexes."""

    def __init__(self) -> None:
        self.sex: list[int] = []  # 0 male, 1 female
        self.year: list[int] = []  # year of birth (the day is drawn later, vectorised)
        self.household: list[int] = []  # -1 when not a member (deceased)
        self.relation: list[str | None] = []
        self.father: list[int] = []
        self.mother: list[int] = []
        self.spouse: list[int] = []
        self.marital: list[int] = []
        self.death_year: list[int] = []  # 0 when alive

    def add(self, sex, year, household, relation, marital=0, father=-1, mother=-1) -> int:
        self.sex.append(sex)
        self.year.append(year)
        self.household.append(household)
        self.relation.append(relation)
        self.father.append(father)
        self.mother.append(mother)
        self.spouse.append(-1)
        self.marital.append(marital)
        self.death_year.append(0)
        return len(self.sex) - 1


def _generate(n: int, rng: random.Random) -> tuple[_People, list[int]]:
    """People and, per household, its head's row. Stops at exactly ``n`` people.

    Parents' and children's birth *years* keep the age gaps (mother 18-42, father 20-50 years older),
    so any day drawn later within those years keeps every parent older than their children."""
    p = _People()
    heads: list[int] = []
    last_year = TODAY.year - 1
    r = rng.random

    def between(low: int, high: int) -> int:
        return low + int(r() * (high - low + 1))

    add = p.add
    while len(p.sex) < n:
        h = len(heads)
        left = n - len(p.sex)
        kind = r()
        head_year = between(1950, 2002)
        head_sex = 0 if r() < 0.68 else 1
        if kind < 0.16 or left < 2:  # one adult on their own
            x = r()
            marital = (0 if x < 0.6 else 2 if x < 0.85 else 3) if head_year < 1995 else 0
            heads.append(add(head_sex, head_year, h, "head", marital))
            continue
        if kind < 0.26:  # a single parent (divorced or widowed) with children
            mother_year = min(head_year, 1998)
            head = add(1, mother_year, h, "head", 2 if r() < 0.6 else 3)
            heads.append(head)
            for _ in range(min(between(1, 3), n - len(p.sex))):
                child_year = mother_year + between(18, 42)
                if child_year > last_year:
                    break
                add(0 if r() < 0.51 else 1, child_year, h, "child", 0, -1, head)
            continue
        # a married couple, their children, maybe a widowed parent of the head
        head_year = min(head_year, 2000)
        spouse_year = head_year + (between(-2, 8) if head_sex == 0 else between(-8, 2))
        spouse_year = max(1948, min(spouse_year, 2000))
        head = add(head_sex, head_year, h, "head", 1)
        heads.append(head)
        partner = add(1 - head_sex, spouse_year, h, "spouse", 1)
        p.spouse[head], p.spouse[partner] = partner, head
        father, mother = (head, partner) if head_sex == 0 else (partner, head)
        father_year, mother_year = p.year[father], p.year[mother]
        earliest = max(mother_year + 18, father_year + 20)
        latest = min(mother_year + 42, father_year + 50, last_year)
        x = r()
        children = 0 if x < 0.10 else 1 if x < 0.35 else 2 if x < 0.75 else 3 if x < 0.93 else 4
        if earliest <= latest:
            for _ in range(min(children, n - len(p.sex))):
                add(0 if r() < 0.51 else 1, between(earliest, latest), h, "child", 0, father, mother)
        if len(p.sex) < n and r() < 0.22:
            elder_year = head_year - between(22, 40)
            elder_sex = 0 if r() < 0.45 else 1
            dead = elder_year <= 1960 and r() < 0.45
            elder = add(elder_sex, elder_year, -1 if dead else h, None if dead else "parent", 3)
            if dead:
                p.death_year[elder] = between(max(elder_year + 55, 2000), last_year)
            if elder_sex == 0:
                p.father[head] = elder
            else:
                p.mother[head] = elder
    return p, heads


def _id_numbers(np_rng: np.random.Generator, province: np.ndarray, sex: np.ndarray, years: np.ndarray):
    century_sex = (years // 100 - 19) * 2 + sex
    prefix = (province.astype(np.int64) * 10 + century_sex) * 100 + years % 100
    ids = prefix * 1_000_000 + np_rng.integers(0, 1_000_000, size=len(prefix))
    while True:
        _, first, counts = np.unique(ids, return_index=True, return_counts=True)
        if len(first) == len(ids):
            return ids
        keep = np.zeros(len(ids), dtype=bool)
        keep[first] = True
        redo = ~keep
        ids[redo] = prefix[redo] * 1_000_000 + np_rng.integers(0, 1_000_000, size=int(redo.sum()))


def _pool(fake: Faker, make: Callable[[], str], size: int) -> np.ndarray:
    return np.array([make() for _ in range(size)], dtype=object)


def build_population(citizens: int, seed: int = 1) -> tuple[dict[str, list], list[tuple], SeedReport]:
    """Citizen columns (name -> list, CITIZEN_COLUMNS, sorted by ID number) and household rows."""
    started = time.perf_counter()
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    fake = Faker("vi_VN")
    fake.seed_instance(seed)
    names = min(1000, max(300, citizens // 4))  # pools large enough to keep Faker's spread
    surnames = _pool(fake, fake.last_name, names)
    middles = _pool(fake, fake.middle_name, names)
    male_names = _pool(fake, fake.first_name_male, names)
    female_names = _pool(fake, fake.first_name_female, names)
    streets = _pool(fake, fake.street_address, min(6000, max(300, citizens // 20)))
    communes = _pool(fake, fake.commune, min(2000, max(100, citizens // 100)))

    people, heads = _generate(citizens, rng)
    n, households = len(people.sex), len(heads)
    sex = np.array(people.sex, dtype=np.int64)
    years = np.array(people.year, dtype=np.int64)
    father = np.array(people.father, dtype=np.int64)
    mother = np.array(people.mother, dtype=np.int64)
    spouse = np.array(people.spouse, dtype=np.int64)
    household = np.array(people.household, dtype=np.int64)
    death_years = np.array(people.death_year, dtype=np.int64)

    epoch = np.datetime64("1970-01-01")
    year_start = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    birth = year_start + np_rng.integers(0, 365, n).astype("timedelta64[D]")
    dead = death_years > 0
    death = np.where(
        dead,
        (np.maximum(death_years, 1970) - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        + np_rng.integers(0, 365, n).astype("timedelta64[D]"),
        epoch,
    )

    province_idx = np_rng.choice(len(PROVINCE_CODES), size=n, p=PROVINCE_WEIGHTS)
    province_codes = np.array([int(c) for c in PROVINCE_CODES], dtype=np.int64)
    ids = _id_numbers(np_rng, province_codes[province_idx], sex, years)
    id_text = np.char.zfill(ids.astype("U12"), 12).astype(object)
    none = np.array([None], dtype=object)

    def ref(index: np.ndarray) -> np.ndarray:
        return np.where(index >= 0, id_text[np.maximum(index, 0)], none[0])

    # names: children carry their father's surname (their mother's when no father is known)
    surname = surnames[np_rng.integers(0, len(surnames), n)]
    for child in np.flatnonzero((father >= 0) | (mother >= 0)).tolist():  # heads come before children
        parent = father[child] if father[child] >= 0 else mother[child]
        surname[child] = surname[parent]
    given = np.where(
        sex == 0, male_names[np_rng.integers(0, len(male_names), n)],
        female_names[np_rng.integers(0, len(female_names), n)],
    )  # fmt: skip
    middle = middles[np_rng.integers(0, len(middles), n)]
    # Faker's middle names are unisex; "Văn" is a man's and "Thị" a woman's middle name
    middle = np.where((sex == 1) & (middle == "Văn"), "Thị", middle)
    middle = np.where((sex == 0) & (middle == "Thị"), "Văn", middle).astype(object)
    full_name = surname + " " + middle + " " + given

    # households: an address in a province (mostly where the head was registered at birth)
    head_arr = np.array(heads, dtype=np.int64)
    hh_province = province_idx[head_arr].copy()
    moved = np_rng.random(households) < 0.25
    hh_province[moved] = np_rng.choice(len(PROVINCE_CODES), size=int(moved.sum()), p=PROVINCE_WEIGHTS)
    province_names = np.array([PROVINCES[c] for c in PROVINCE_CODES], dtype=object)
    hh_address = (
        streets[np_rng.integers(0, len(streets), households)]
        + ", "
        + communes[np_rng.integers(0, len(communes), households)]
        + ", "
        + province_names[hh_province]
    )
    household_rows = list(
        zip(
            range(1, households + 1),
            [f"HS{h:010d}" for h in range(1, households + 1)],
            id_text[head_arr].tolist(),
            np.array(PROVINCE_CODES, dtype=object)[hh_province].tolist(),
            hh_address.tolist(),
            strict=True,
        )
    )

    member = household >= 0
    address = np.where(member, hh_address[np.maximum(household, 0)], none[0])  # the dead are struck off
    home_town = np_rng.choice(len(PROVINCE_CODES), size=n, p=PROVINCE_WEIGHTS)
    elsewhere = (np_rng.random(n) < 0.06) & member
    elsewhere_address = streets[np_rng.integers(0, len(streets), n)] + ", " + province_names[home_town]
    today = np.datetime64(TODAY.isoformat())
    adult = (today - birth).astype(np.int64) >= 14 * 365
    card_day = np.maximum(birth + np.timedelta64(14 * 365, "D"), np.datetime64("2021-01-01"))
    phone_prefix = np.array(("090", "091", "098", "097", "093", "086", "088", "070"), dtype=object)
    phone = phone_prefix[np_rng.integers(0, 8, n)] + np.char.zfill(
        np_rng.integers(0, 10_000_000, n).astype("U7"), 7
    ).astype(object)
    old_id = np.char.zfill(((np.arange(n) * 7919 + 100_000_019) % 1_000_000_000).astype("U9"), 9).astype(
        object
    )
    marital = np.array(MARITAL_CODES, dtype=object)[np.array(people.marital, dtype=np.int64)]

    def iso(days: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        text = days.astype("U10").astype(object)
        return text if keep is None else np.where(keep, text, none[0])

    columns: dict[str, np.ndarray] = {
        "id_number": id_text,
        "full_name": full_name,
        "other_names": np.full(n, None, dtype=object),
        "date_of_birth": iso(birth),
        "sex": np.where(sex == 1, "F", "M").astype(object),
        "place_of_birth": province_names[province_idx],
        "birth_registration_province": np.array(PROVINCE_CODES, dtype=object)[province_idx],
        "home_town": province_names[home_town],
        "ethnicity": _weighted(np_rng, ETHNICITIES, n),
        "religion": _weighted(np_rng, RELIGIONS, n),
        "nationality": np.full(n, "VN", dtype=object),
        "blood_group": _weighted(np_rng, BLOOD_GROUPS, n),
        "old_id_number": np.where(years < 1995, old_id, none[0]),
        "id_card_issued_on": iso(card_day, adult),
        "father_id_number": ref(father),
        "mother_id_number": ref(mother),
        "spouse_id_number": ref(spouse),
        "representative_id_number": np.where(adult, none[0], ref(mother)),
        "marital_status": marital,
        "household_id": np.where(member, household + 1, none[0]).astype(object),
        "relationship_to_head": np.array(people.relation, dtype=object),
        "permanent_residence": address,
        "temporary_residence": np.where(elsewhere, elsewhere_address, none[0]),
        "current_residence": np.where(elsewhere, elsewhere_address, address),
        "temporarily_absent": np_rng.random(n) < 0.01,
        "date_of_death": iso(death, dead),
        "phone": np.where(adult & ~dead, phone, none[0]),
        "email": np.full(n, None, dtype=object),
    }
    order = np.argsort(ids, kind="stable")  # insert in primary-key order: far faster B-tree building
    citizen_columns = {name: columns[name][order].tolist() for name in CITIZEN_COLUMNS}
    citizen_columns["household_id"] = [None if h is None else int(h) for h in citizen_columns["household_id"]]
    citizen_columns["temporarily_absent"] = [bool(v) for v in citizen_columns["temporarily_absent"]]
    generated = time.perf_counter()
    couples = int((spouse >= 0).sum()) // 2
    report = SeedReport(
        n, households, couples, int(dead.sum()), generated - started, generated - started, 0.0
    )
    return citizen_columns, household_rows, report


def citizen_rows(columns: dict[str, list]) -> list[tuple]:
    """The columns as row tuples in CITIZEN_COLUMNS order."""
    return list(zip(*(columns[name] for name in CITIZEN_COLUMNS), strict=True))


def _weighted(np_rng: np.random.Generator, table, n: int) -> np.ndarray:
    values = np.array([v for v, _ in table], dtype=object)
    weights = np.array([w for _, w in table], dtype=float)
    return values[np_rng.choice(len(values), size=n, p=weights / weights.sum())]


def seed_registry(engine: Engine, citizens: int, seed: int = 1, batch: int = 50_000) -> SeedReport:
    """Replace the registry's people and households with a fresh synthetic population."""
    started, cpu_started = time.perf_counter(), time.process_time()
    columns, household_rows, report = build_population(citizens, seed)
    generated = time.perf_counter()
    if engine.dialect.name == "postgresql":
        _copy_postgres(engine, columns, household_rows)
    else:
        _insert_sqlite(engine, citizen_rows(columns), household_rows, batch)
    done = time.perf_counter()
    return SeedReport(
        report.citizens,
        report.households,
        report.married_couples,
        report.deceased,
        done - started,
        generated - started,
        done - generated,
        time.process_time() - cpu_started,
    )


_SECONDARY_INDEXES = {
    "ix_registry_citizens_household": "household_id",
    "ix_registry_citizens_father": "father_id_number",
    "ix_registry_citizens_mother": "mother_id_number",
}


def _insert_sqlite(engine: Engine, rows, household_rows, batch: int) -> None:
    """executemany in large batches in one transaction; secondary indexes are rebuilt afterwards."""
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MiB while seeding
        conn.execute("BEGIN IMMEDIATE")
        for name in _SECONDARY_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        conn.execute("DELETE FROM registry_citizens")
        conn.execute("DELETE FROM registry_households")
        marks = ", ".join("?" * len(CITIZEN_COLUMNS))
        sql = f"INSERT INTO registry_citizens ({', '.join(CITIZEN_COLUMNS)}) VALUES ({marks})"
        for start in range(0, len(rows), batch):
            conn.executemany(sql, rows[start : start + batch])
        marks = ", ".join("?" * len(HOUSEHOLD_COLUMNS))
        conn.executemany(
            f"INSERT INTO registry_households ({', '.join(HOUSEHOLD_COLUMNS)}) VALUES ({marks})",
            household_rows,
        )
        for name, column in _SECONDARY_INDEXES.items():
            conn.execute(f"CREATE INDEX {name} ON registry_citizens ({column})")
        conn.execute("COMMIT")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA cache_size=-2000")
        conn.execute("ANALYZE registry_citizens")
    except BaseException:
        if raw.driver_connection.in_transaction:
            raw.driver_connection.execute("ROLLBACK")
        raise
    finally:
        raw.close()


def _copy_column(values: list) -> list[str]:
    """COPY text format for one column (our values hold no tabs, newlines or backslashes)."""
    out = []
    for v in values:
        out.append("\\N" if v is None else "t" if v is True else "f" if v is False else str(v))
    return out


def _copy_postgres(engine: Engine, columns: dict[str, list], household_rows) -> None:
    """COPY in one transaction; secondary indexes are rebuilt afterwards."""
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE registry_citizens, registry_households"))
        for name in _SECONDARY_INDEXES:
            connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY registry_households ({', '.join(HOUSEHOLD_COLUMNS)}) FROM STDIN") as copy:
            for row in household_rows:
                copy.write_row(row)
        text_columns = [_copy_column(columns[name]) for name in CITIZEN_COLUMNS]
        lines = list(map("\t".join, zip(*text_columns, strict=True)))
        del text_columns
        with cursor.copy(f"COPY registry_citizens ({', '.join(CITIZEN_COLUMNS)}) FROM STDIN") as copy:
            for start in range(0, len(lines), 100_000):
                copy.write("\n".join(lines[start : start + 100_000]) + "\n")
        cursor.close()
        for name, column in _SECONDARY_INDEXES.items():
            connection.execute(text(f"CREATE INDEX {name} ON registry_citizens ({column})"))
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE registry_citizens"))
