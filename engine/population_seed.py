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

import io
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


class _People:
    """Column lists built household by household; references to other people are row indexes."""

    def __init__(self) -> None:
        self.sex: list[int] = []  # 0 male, 1 female
        self.birth: list[int] = []  # proleptic ordinal
        self.household: list[int] = []  # -1 when not a member (deceased)
        self.relation: list[str] = []
        self.father: list[int] = []
        self.mother: list[int] = []
        self.spouse: list[int] = []
        self.marital: list[int] = []
        self.death: list[int] = []  # 0 when alive

    def add(self, sex, birth, household, relation, marital=0, father=-1, mother=-1) -> int:
        self.sex.append(sex)
        self.birth.append(birth)
        self.household.append(household)
        self.relation.append(relation)
        self.father.append(father)
        self.mother.append(mother)
        self.spouse.append(-1)
        self.marital.append(marital)
        self.death.append(0)
        return len(self.sex) - 1


def _ordinal(rng: random.Random, year: int) -> int:
    return date(year, 1, 1).toordinal() + rng.randrange(365)


def _generate(n: int, rng: random.Random) -> tuple[_People, list[int]]:
    """People and, per household, its head's row. Stops at exactly ``n`` people."""
    p = _People()
    heads: list[int] = []
    year = TODAY.year
    while len(p.sex) < n:
        h = len(heads)
        left = n - len(p.sex)
        kind = rng.random()
        head_year = rng.randint(1950, 2002)
        head_sex = 0 if rng.random() < 0.68 else 1
        if kind < 0.16 or left < 2:  # one adult on their own
            marital = rng.choices((0, 2, 3), (60, 25, 15))[0] if head_year < 1995 else 0
            heads.append(p.add(head_sex, _ordinal(rng, head_year), h, "head", marital))
            continue
        if kind < 0.26:  # single parent (divorced or widowed) with children
            head = p.add(1, _ordinal(rng, min(head_year, 1998)), h, "head", rng.choice((2, 3)))
            heads.append(head)
            mother_year = date.fromordinal(p.birth[head]).year
            for _ in range(min(rng.randint(1, 3), n - len(p.sex))):
                child_year = mother_year + rng.randint(18, 42)
                if child_year > year - 1:
                    break
                p.add(rng.randrange(2), _ordinal(rng, child_year), h, "child", 0, -1, head)
            continue
        # a married couple, their children, maybe a widowed parent of the head
        head_year = min(head_year, 2000)
        spouse_year = head_year + (rng.randint(-2, 8) if head_sex == 0 else rng.randint(-8, 2))
        spouse_year = max(1948, min(spouse_year, 2000))
        head = p.add(head_sex, _ordinal(rng, head_year), h, "head", 1)
        heads.append(head)
        partner = p.add(1 - head_sex, _ordinal(rng, spouse_year), h, "spouse", 1)
        p.spouse[head], p.spouse[partner] = partner, head
        father, mother = (head, partner) if head_sex == 0 else (partner, head)
        father_year = date.fromordinal(p.birth[father]).year
        mother_year = date.fromordinal(p.birth[mother]).year
        earliest = max(mother_year + 18, father_year + 20)
        latest = min(mother_year + 42, father_year + 50, year - 1)
        for _ in range(min(rng.choices((0, 1, 2, 3, 4), (10, 25, 40, 18, 7))[0], n - len(p.sex))):
            if earliest > latest:
                break
            p.add(
                rng.randrange(2), _ordinal(rng, rng.randint(earliest, latest)), h, "child", 0, father, mother
            )
        if len(p.sex) < n and rng.random() < 0.22:
            elder_year = head_year - rng.randint(22, 40)
            elder_sex = rng.randrange(2)
            dead = elder_year <= 1960 and rng.random() < 0.45
            elder = p.add(elder_sex, _ordinal(rng, elder_year), -1 if dead else h, "parent", 3)
            if dead:
                earliest_death = max(p.birth[elder] + 55 * 365, date(2000, 1, 1).toordinal())
                p.death[elder] = rng.randint(earliest_death, TODAY.toordinal() - 1)
                p.relation[elder] = ""
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


def build_population(citizens: int, seed: int = 1) -> tuple[list[tuple], list[tuple], SeedReport]:
    """Citizen rows and household rows (tuples in CITIZEN_COLUMNS / HOUSEHOLD_COLUMNS order)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    fake = Faker("vi_VN")
    fake.seed_instance(seed)
    names = min(4000, max(300, citizens // 4))  # pools large enough to keep Faker's spread
    surnames = _pool(fake, fake.last_name, names)
    middles = _pool(fake, fake.middle_name, names)
    male_names = _pool(fake, fake.first_name_male, names)
    female_names = _pool(fake, fake.first_name_female, names)
    streets = _pool(fake, fake.street_address, min(20000, max(300, citizens // 20)))
    communes = _pool(fake, fake.commune, min(3000, max(100, citizens // 100)))

    people, heads = _generate(citizens, rng)
    n, households = len(people.sex), len(heads)
    sex = np.array(people.sex, dtype=np.int64)
    birth = np.array(people.birth, dtype=np.int64)
    years = np.array([date.fromordinal(int(o)).year for o in birth], dtype=np.int64)
    father = np.array(people.father, dtype=np.int64)
    mother = np.array(people.mother, dtype=np.int64)
    spouse = np.array(people.spouse, dtype=np.int64)
    household = np.array(people.household, dtype=np.int64)

    birth_province_idx = np_rng.choice(len(PROVINCE_CODES), size=n, p=PROVINCE_WEIGHTS)
    province_codes = np.array([int(c) for c in PROVINCE_CODES], dtype=np.int64)
    ids = _id_numbers(np_rng, province_codes[birth_province_idx], sex, years)
    id_text = np.array([f"{i:012d}" for i in ids], dtype=object)

    # names: children carry their father's surname (their mother's when no father is known)
    surname = surnames[np_rng.integers(0, len(surnames), n)]
    for child in np.flatnonzero((father >= 0) | (mother >= 0)):  # a head comes before their children
        parent = father[child] if father[child] >= 0 else mother[child]
        surname[child] = surname[parent]
    given = np.where(
        sex == 0, male_names[np_rng.integers(0, len(male_names), n)],
        female_names[np_rng.integers(0, len(female_names), n)],
    )  # fmt: skip
    middle = middles[np_rng.integers(0, len(middles), n)]
    full_name = [f"{a} {b} {c}" for a, b, c in zip(surname, middle, given, strict=True)]

    # households: an address in a province (mostly where the head was registered at birth)
    head_arr = np.array(heads, dtype=np.int64)
    hh_province = birth_province_idx[head_arr].copy()
    moved = np_rng.random(households) < 0.25
    hh_province[moved] = np_rng.choice(len(PROVINCE_CODES), size=int(moved.sum()), p=PROVINCE_WEIGHTS)
    street = streets[np_rng.integers(0, len(streets), households)]
    commune = communes[np_rng.integers(0, len(communes), households)]
    hh_address = [
        f"{s}, {c}, {PROVINCES[PROVINCE_CODES[p]]}"
        for s, c, p in zip(street, commune, hh_province, strict=True)
    ]
    household_rows = [
        (h + 1, f"HS{h + 1:010d}", id_text[head_arr[h]], PROVINCE_CODES[hh_province[h]], hh_address[h])
        for h in range(households)
    ]

    ethnicity = _weighted(np_rng, ETHNICITIES, n)
    religion = _weighted(np_rng, RELIGIONS, n)
    blood = _weighted(np_rng, BLOOD_GROUPS, n)
    home_town = np_rng.choice(len(PROVINCE_CODES), size=n, p=PROVINCE_WEIGHTS)
    elsewhere = np_rng.random(n) < 0.06
    temp_street = streets[np_rng.integers(0, len(streets), n)]
    phone_digits = np_rng.integers(10_000_000, 99_999_999, n)
    phone_prefix = np.array(("090", "091", "098", "097", "093", "086", "088", "070"))[
        np_rng.integers(0, 8, n)
    ]
    absent = np_rng.random(n) < 0.01
    adult_age = 14 * 365
    today = TODAY.toordinal()

    rows: list[tuple] = []
    append = rows.append
    for i in range(n):
        hh = household[i]
        born = int(birth[i])
        adult = today - born >= adult_age
        address = hh_address[hh] if hh >= 0 else None  # the dead are struck off their household
        current = f"{temp_street[i]}, {PROVINCES[PROVINCE_CODES[home_town[i]]]}" if elsewhere[i] else address
        born_date = date.fromordinal(born)
        append(
            (
                id_text[i],
                full_name[i],
                None,
                born_date.isoformat(),
                "F" if sex[i] else "M",
                PROVINCES[PROVINCE_CODES[birth_province_idx[i]]],
                PROVINCE_CODES[birth_province_idx[i]],
                PROVINCES[PROVINCE_CODES[home_town[i]]],
                ethnicity[i],
                religion[i],
                "VN",
                blood[i],
                f"{(i * 7919 + 100_000_019) % 1_000_000_000:09d}" if years[i] < 1995 else None,
                date.fromordinal(max(born + 14 * 365, date(2021, 1, 1).toordinal())).isoformat()
                if adult
                else None,
                id_text[father[i]] if father[i] >= 0 else None,
                id_text[mother[i]] if mother[i] >= 0 else None,
                id_text[spouse[i]] if spouse[i] >= 0 else None,
                None if adult else (id_text[mother[i]] if mother[i] >= 0 else None),
                MARITAL_CODES[people.marital[i]],
                int(hh) + 1 if hh >= 0 else None,
                people.relation[i] or None,
                address,
                current if elsewhere[i] else None,
                current,
                bool(absent[i]),
                date.fromordinal(people.death[i]).isoformat() if people.death[i] else None,
                f"{phone_prefix[i]}{phone_digits[i]:08d}"[:10] if adult and not people.death[i] else None,
                None,
            )
        )
    generated = time.perf_counter()
    couples = int((spouse >= 0).sum()) // 2
    deceased = sum(1 for d in people.death if d)
    report = SeedReport(n, households, couples, deceased, generated - started, generated - started, 0.0)
    return rows, household_rows, report


def _weighted(np_rng: np.random.Generator, table, n: int) -> np.ndarray:
    values = np.array([v for v, _ in table], dtype=object)
    weights = np.array([w for _, w in table], dtype=float)
    return values[np_rng.choice(len(values), size=n, p=weights / weights.sum())]


def seed_registry(engine: Engine, citizens: int, seed: int = 1, batch: int = 50_000) -> SeedReport:
    """Replace the registry's people and households with a fresh synthetic population."""
    started = time.perf_counter()
    rows, household_rows, report = build_population(citizens, seed)
    generated = time.perf_counter()
    if engine.dialect.name == "postgresql":
        _copy_postgres(engine, rows, household_rows)
    else:
        _insert_sqlite(engine, rows, household_rows, batch)
    done = time.perf_counter()
    return SeedReport(
        report.citizens,
        report.households,
        report.married_couples,
        report.deceased,
        done - started,
        generated - started,
        done - generated,
    )


def _insert_sqlite(engine: Engine, rows, household_rows, batch: int) -> None:
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN IMMEDIATE")
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
        conn.execute("COMMIT")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("ANALYZE registry_citizens")
    except BaseException:
        if raw.driver_connection.in_transaction:
            raw.driver_connection.execute("ROLLBACK")
        raise
    finally:
        raw.close()


def _copy_text(rows) -> str:
    out = io.StringIO()
    for row in rows:
        out.write(
            "\t".join(
                "\\N" if v is None else ("t" if v is True else "f" if v is False else str(v)) for v in row
            )
        )
        out.write("\n")
    return out.getvalue()


def _copy_postgres(engine: Engine, rows, household_rows) -> None:
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE registry_citizens, registry_households"))
        cursor = connection.connection.driver_connection.cursor()
        for table, columns, data in (
            ("registry_households", HOUSEHOLD_COLUMNS, household_rows),
            ("registry_citizens", CITIZEN_COLUMNS, rows),
        ):
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for start in range(0, len(data), 100_000):
                    copy.write(_copy_text(data[start : start + 100_000]))
        cursor.close()
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE registry_citizens"))
