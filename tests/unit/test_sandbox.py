"""The script sandbox: what uploaded code may and may not do."""

from __future__ import annotations

import time

import pytest

from engine.bpmn.sandbox import (
    SandboxPolicy,
    SandboxViolation,
    ScriptLimitError,
    check_source,
    compile_source,
)

POLICY = SandboxPolicy()


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("import os", "imports are not allowed"),
        ("from os import system", "imports are not allowed"),
        ("__import__('os').system('id')", "names starting with '_'"),
        ("x = ().__class__.__bases__[0].__subclasses__()", "attributes starting with '_'"),
        ("x = [].__class__.__mro__", "attributes starting with '_'"),
        ("eval('1+1')", "'eval' is not allowed"),
        ("exec('x = 1')", "'exec' is not allowed"),
        ("open('/etc/passwd').read()", "'open' is not allowed"),
        ("getattr(x, 'y')", "'getattr' is not allowed"),
        ("t = type(1)", "'type' is not allowed"),
        ("'{0.__class__}'.format(1)", "'.format' is not allowed"),
        ("g = (i for i in [1])\nf = g.gi_frame", "'.gi_frame' is not allowed"),
        ("f = lambda: 1", "lambda functions are not allowed"),
        ("def f():\n    return 1", "defining functions is not allowed"),
        ("class A:\n    pass", "defining classes is not allowed"),
        ("global x", "'global' is not allowed"),
        ("try:\n    x = 1\nexcept:\n    pass", "bare 'except:'"),
        ("x = f'{y:>100000000}'", "format specifications"),
        ("while True:\n    x = 1", "never ends"),
        ("while 1:\n    for i in y:\n        break", "never ends"),
    ],
)
def test_unsafe_code_is_refused_with_a_reason(source, reason):
    problems = check_source(source, "exec")
    assert problems, f"{source!r} was accepted"
    assert any(reason in p.reason for p in problems), [p.reason for p in problems]
    with pytest.raises(SandboxViolation):
        compile_source(source, "exec")


def test_refusal_names_the_line():
    problems = check_source("x = 1\ny = 2\nimport os", "exec")
    assert [p.lineno for p in problems] == [3]


@pytest.mark.parametrize(
    "source",
    [
        "while True:\n    pass\n    if x:\n        break",
        "while x == x:\n    try:\n        x = 1\n    except Exception:\n        pass",
        "x = 'a'\nwhile len(x) < 10**9:\n    x = x + x",
        "x = [i for i in range(10**6) for j in range(10**6)]",
        "n = 0\nfor i in range(10**6):\n    for j in range(10**6):\n        n += 1",
    ],
)
def test_runaway_scripts_stop_quickly(source):
    data = {"x": False}
    started = time.perf_counter()
    with pytest.raises(ScriptLimitError):
        POLICY.execute(source, data)
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    "source",
    [
        "x = 'a' * 10**10",
        "x = 2 ** 10**8",
        "x = sum(range(10**12))",
        "x = 1 << 10**9",
        "x = '%1000000000s' % 'a'",
    ],
)
def test_memory_bombs_are_refused_before_allocating(source):
    with pytest.raises(ScriptLimitError):
        POLICY.execute(source, {})


def test_script_cannot_swallow_its_own_limit():
    script = "n = 0\nwhile n >= 0:\n    try:\n        n += 1\n    except Exception:\n        n = 0"
    with pytest.raises(ScriptLimitError):
        POLICY.execute(script, {})


def test_scripts_read_and_write_task_data():
    data = {"trace": ["a"], "integerVariable": 1, "gone": 1, "date": "2025-07-01"}
    POLICY.execute(
        "try:\n    trace\nexcept NameError:\n    trace = []\ntrace = trace + ['SCRIPT_task1']\n"
        "integerVariable += 1\ndel gone\nwhen = datetime(2025, 7, 1)\nfee = Decimal('8000') * 2",
        data,
    )
    assert data["trace"] == ["a", "SCRIPT_task1"]
    assert data["integerVariable"] == 2
    assert "gone" not in data
    assert data["when"].year == 2025
    assert str(data["fee"]) == "16000"
    assert data["date"] == "2025-07-01"  # data may shadow a host function name


def test_indented_code_from_modelers_runs():
    data: dict = {}
    POLICY.execute("\n        a = 1\n        b = a + 1\n    ", data)
    assert data == {"a": 1, "b": 2}
    assert POLICY.evaluate("\n   b > 1  \n", data) is True


def test_values_that_are_not_data_are_refused():
    with pytest.raises(ScriptLimitError, match="only data"):
        POLICY.execute("g = (i for i in [1, 2])", {})


def test_host_functions_extend_the_allow_list():
    policy = POLICY.with_functions(working_days=lambda a, b: 3)
    assert check_source("n = working_days(1, 2)", "exec", policy.allowed_names) == []
    data: dict = {}
    policy.execute("n = working_days(1, 2)", data)
    assert data == {"n": 3}
    with pytest.raises(Exception, match="working_days"):
        POLICY.execute("n = working_days(1, 2)", {})


def test_data_cannot_replace_the_sandbox_helpers():
    data = {"_motcua_tick": "boom", "__builtins__": {"open": "x"}}
    POLICY.execute("n = 0\nfor i in range(3):\n    n += i", data)
    assert data["n"] == 3
