"""The synthetic population is consistent: valid unique IDs, households, marriages, parents older."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from engine.population_seed import (
    CITIZEN_COLUMNS,
    HOUSEHOLD_COLUMNS,
    build_population,
    citizen_rows,
    id_number_valid,
)

COL = {name: i for i, name in enumerate(CITIZEN_COLUMNS)}


@pytest.fixture(scope="module")
def population():
    columns, households, report = build_population(30_000, seed=11)
    rows = citizen_rows(columns)
    people = {r[COL["id_number"]]: r for r in rows}
    return rows, households, report, people


def _get(row, name):
    return row[COL[name]]


def test_exactly_the_requested_number_with_valid_unique_ids(population):
    rows, _, report, people = population
    assert len(rows) == report.citizens == 30_000
    assert len(people) == len(rows)  # unique
    for row in rows:
        born = date.fromisoformat(_get(row, "date_of_birth"))
        assert id_number_valid(_get(row, "id_number"), born, _get(row, "sex")), row
        assert _get(row, "birth_registration_province") == _get(row, "id_number")[:3]


def test_id_number_rules():
    assert id_number_valid("001090123456", date(1990, 5, 1), "M")
    assert id_number_valid("079305123456", date(2005, 5, 1), "F")
    assert not id_number_valid("079205123456", date(2005, 5, 1), "F")  # 2 is a boy born in the 2000s
    assert not id_number_valid("079190123456", date(1991, 5, 1), "F")  # wrong year
    assert not id_number_valid("003090123456", date(1990, 5, 1), "M")  # no province 003
    assert not id_number_valid("00109012345", date(1990, 5, 1), "M")


def test_every_household_has_one_head_and_its_members_live_there(population):
    rows, households, _, people = population
    heads = Counter(_get(r, "household_id") for r in rows if _get(r, "relationship_to_head") == "head")
    assert set(heads.values()) == {1}
    assert len(heads) == len(households)
    by_id = {h[0]: h for h in households}
    for row in rows:
        household = _get(row, "household_id")
        if household is None:
            assert _get(row, "date_of_death") is not None  # only the dead are struck off
            continue
        head_id = by_id[household][HOUSEHOLD_COLUMNS.index("head_id_number")]
        assert _get(people[head_id], "relationship_to_head") == "head"
        assert _get(row, "permanent_residence") == by_id[household][HOUSEHOLD_COLUMNS.index("address")]


def test_married_couples_point_at_each_other_and_agree(population):
    rows, _, report, people = population
    couples = 0
    for row in rows:
        spouse_id = _get(row, "spouse_id_number")
        if _get(row, "marital_status") == "married":
            spouse = people[spouse_id]
            assert _get(spouse, "spouse_id_number") == _get(row, "id_number")
            assert _get(spouse, "marital_status") == "married"
            assert _get(spouse, "sex") != _get(row, "sex")
            assert _get(spouse, "household_id") == _get(row, "household_id")
            couples += 1
        else:
            assert spouse_id is None
    assert couples == 2 * report.married_couples > 0


def test_parents_are_older_than_their_children(population):
    rows, _, _, people = population
    checked = 0
    for row in rows:
        born = date.fromisoformat(_get(row, "date_of_birth"))
        for column, sex, years in (("father_id_number", "M", 20), ("mother_id_number", "F", 18)):
            parent_id = _get(row, column)
            if parent_id is None:
                continue
            parent = people[parent_id]
            assert _get(parent, "sex") == sex
            assert date.fromisoformat(_get(parent, "date_of_birth")).year + years <= born.year
            checked += 1
    assert checked > 10_000


def test_some_people_died_after_they_were_born(population):
    rows, _, report, _ = population
    dead = [r for r in rows if _get(r, "date_of_death")]
    assert len(dead) == report.deceased > 0
    for row in dead:
        assert date.fromisoformat(_get(row, "date_of_death")) > date.fromisoformat(_get(row, "date_of_birth"))
        assert _get(row, "household_id") is None


def test_names_are_vietnamese_and_children_take_a_parent_surname(population):
    rows, _, _, people = population
    surnames = Counter(_get(r, "full_name").split()[0] for r in rows)
    assert {"Nguyễn", "Trần", "Lê"} <= set(surnames)
    middles = {(_get(r, "sex"), _get(r, "full_name").split()[1]) for r in rows}
    assert ("F", "Thị") in middles and ("M", "Văn") in middles
    assert ("F", "Văn") not in middles and ("M", "Thị") not in middles
    for row in rows[:5000]:
        father = _get(row, "father_id_number")
        if father:
            assert _get(row, "full_name").split()[0] == _get(people[father], "full_name").split()[0]


def test_the_same_seed_gives_the_same_people():
    first, _, _ = build_population(500, seed=5)
    again, _, _ = build_population(500, seed=5)
    other, _, _ = build_population(500, seed=6)
    assert first["id_number"] == sorted(first["id_number"])
    assert first == again
    assert first != other
