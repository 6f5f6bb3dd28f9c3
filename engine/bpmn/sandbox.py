"""The sandbox for scripts and expressions in uploaded models.

Scripts, conditions, timer expressions, service-task parameters and DMN entries are untrusted code.
They are compiled only through :func:`compile_source`, which

* accepts an explicit allow-list of Python syntax: data, arithmetic, comparisons, ``if``/``for``/
  ``while``, ``try``/``except`` with a named exception, ``raise``, comprehensions and calls;
* refuses imports, function and class definitions, ``global``, ``with``, names and attributes that
  start with an underscore, the attributes that reach frames or format strings, and any name outside
  the allow-list of builtins and host functions (eval, exec, open, getattr, type, ...);
* rewrites the code so that every loop iteration and every growth operator (``+ * ** << %``) is
  checked against a budget: a script that loops forever or builds a huge value stops with
  :class:`ScriptLimitError` instead of hanging the worker.

Deployment calls :func:`check_source` to reject such a model up front; the runtime compiles through
the same path, so a model that slipped past (an old version, a rule added later) is blocked too.
"""

from __future__ import annotations

import ast
import datetime as _dt
import decimal
import operator
import re
import textwrap
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import CodeType, ModuleType
from typing import Any

MAX_SOURCE_CHARS = 20_000
MAX_ITERATIONS = 200_000
MAX_SECONDS = 2.0
MAX_SEQUENCE_LENGTH = 1_000_000
MAX_INT_BITS = 64_000

_TICK = "_motcua_tick"
_BINOP = "_motcua_binop"

#: Attributes that lead from ordinary values to frames, code or the format-string mini-language.
BLOCKED_ATTRIBUTES = frozenset(
    {
        "format",
        "format_map",
        "mro",
        "center",
        "ljust",
        "rjust",
        "zfill",
        "expandtabs",
        "gi_frame",
        "gi_code",
        "gi_yieldfrom",
        "gi_running",
        "cr_frame",
        "cr_code",
        "cr_await",
        "ag_frame",
        "ag_code",
        "f_globals",
        "f_locals",
        "f_back",
        "f_builtins",
        "f_code",
        "tb_frame",
        "tb_next",
        "func_globals",
        "func_code",
        "co_code",
        "send",
        "throw",
    }
)

#: Names a script may never use, whatever the host offers; listed for clear messages.
FORBIDDEN_NAMES = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "open",
        "globals",
        "locals",
        "vars",
        "getattr",
        "setattr",
        "delattr",
        "hasattr",
        "input",
        "breakpoint",
        "memoryview",
        "type",
        "object",
        "super",
        "classmethod",
        "staticmethod",
        "property",
        "help",
        "exit",
        "quit",
        "dir",
        "id",
        "bytearray",
        "bytes",
        "print",
        "iter",
        "next",
        "issubclass",
        "callable",
        "frozenset",
        "BaseException",
        "SystemExit",
        "KeyboardInterrupt",
        "GeneratorExit",
    }
)

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Module,
    ast.Expression,
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.Del,
    ast.Constant,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.If,
    ast.For,
    ast.While,
    ast.Break,
    ast.Continue,
    ast.Pass,
    ast.Try,
    ast.ExceptHandler,
    ast.Raise,
    ast.Delete,
    ast.Call,
    ast.keyword,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.comprehension,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.Starred,
    ast.NamedExpr,
    ast.Assert,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.cmpop,
    ast.expr_context,
)

_DISALLOWED_MESSAGES: dict[type[ast.AST], str] = {
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.FunctionDef: "defining functions is not allowed",
    ast.AsyncFunctionDef: "defining functions is not allowed",
    ast.Lambda: "lambda functions are not allowed",
    ast.ClassDef: "defining classes is not allowed",
    ast.Global: "'global' is not allowed",
    ast.Nonlocal: "'nonlocal' is not allowed",
    ast.With: "'with' is not allowed",
    ast.AsyncWith: "'with' is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
}


class SandboxViolation(Exception):
    """The source uses something the sandbox does not allow."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        super().__init__(message if lineno is None else f"line {lineno}: {message}")
        self.reason = message
        self.lineno = lineno


class ScriptLimitError(Exception):
    """A script ran past its iteration, time or size budget."""


class _LimitHit(BaseException):
    """Raised inside user code. A BaseException so that ``except Exception`` in a script cannot
    swallow it; converted to :class:`ScriptLimitError` once control is back in motcua."""


# --------------------------------------------------------------------------- static checking


class _Checker(ast.NodeVisitor):
    def __init__(self, allowed_names: frozenset[str]) -> None:
        self.allowed_names = allowed_names
        self.problems: list[SandboxViolation] = []

    def _fail(self, node: ast.AST, message: str) -> None:
        self.problems.append(SandboxViolation(message, getattr(node, "lineno", None)))

    def generic_visit(self, node: ast.AST) -> None:
        if not isinstance(node, _ALLOWED_NODES):
            message = _DISALLOWED_MESSAGES.get(type(node), f"'{type(node).__name__}' is not allowed")
            self._fail(node, message)
            return
        super().generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id.startswith("_"):
            self._fail(node, f"names starting with '_' are not allowed ('{node.id}')")
        elif node.id in FORBIDDEN_NAMES and node.id not in self.allowed_names:
            self._fail(node, f"'{node.id}' is not allowed")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_"):
            self._fail(node, f"attributes starting with '_' are not allowed ('.{node.attr}')")
        elif node.attr in BLOCKED_ATTRIBUTES:
            self._fail(node, f"the attribute '.{node.attr}' is not allowed")
        self.visit(node.value)

    def visit_While(self, node: ast.While) -> None:
        if isinstance(node.test, ast.Constant) and node.test.value and not _breaks_out(node.body):
            self._fail(node, "this loop never ends: 'while' on a constant true condition without 'break'")
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is None:
            self._fail(node, "a bare 'except:' is not allowed; name the exception")
        if node.name and node.name.startswith("_"):
            self._fail(node, f"names starting with '_' are not allowed ('{node.name}')")
        self.generic_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        if node.format_spec is not None:
            self._fail(node, "format specifications in f-strings are not allowed")
        self.visit(node.value)

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg and node.arg.startswith("_"):
            self._fail(node, f"keyword arguments starting with '_' are not allowed ('{node.arg}')")
        self.visit(node.value)


def _breaks_out(body: list[ast.stmt]) -> bool:
    """Whether a loop body contains a ``break`` (or ``raise``) that leaves this loop."""
    pending = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Break | ast.Raise):
            return True
        if isinstance(node, ast.For | ast.While):
            pending.extend(node.orelse)  # a break inside a nested loop leaves only that loop
            continue
        pending.extend(
            child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt | ast.excepthandler)
        )
    return False


# --------------------------------------------------------------------------- bounding rewrite

_BINOP_CODES = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}


class _Bounder(ast.NodeTransformer):
    """Insert a budget tick into every loop body and comprehension, and route growth operators
    through a size-checking helper."""

    @staticmethod
    def _tick_call(node: ast.AST) -> ast.Call:
        return ast.copy_location(ast.Call(func=ast.Name(_TICK, ast.Load()), args=[], keywords=[]), node)

    def _loop(self, node: ast.For | ast.While) -> ast.AST:
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(self._tick_call(node)), node))
        return node

    visit_For = _loop
    visit_While = _loop

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.ifs.insert(0, self._tick_call(node.iter))
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        code = _BINOP_CODES.get(type(node.op))
        if code is None:
            return node
        call = ast.Call(
            func=ast.Name(_BINOP, ast.Load()),
            args=[ast.Constant(code), node.left, node.right],
            keywords=[],
        )
        return ast.copy_location(call, node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        if type(node.op) not in _BINOP_CODES:
            return node
        load_target = _as_load(node.target)
        value = self.visit_BinOp(ast.copy_location(ast.BinOp(load_target, node.op, node.value), node))
        return ast.copy_location(ast.Assign(targets=[node.target], value=value), node)


def _as_load(target: ast.expr) -> ast.expr:
    clone = ast.parse(ast.unparse(target), mode="eval").body
    return ast.copy_location(clone, target)


def _parse(source: str, mode: str) -> ast.AST:
    if len(source) > MAX_SOURCE_CHARS:
        raise SandboxViolation(
            f"the code is {len(source):,} characters long; the limit is {MAX_SOURCE_CHARS:,}"
        )
    try:
        return ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise SandboxViolation(f"syntax error: {exc.msg}", exc.lineno) from None
    except (RecursionError, MemoryError, ValueError):
        raise SandboxViolation("the code is nested too deeply or is not valid Python") from None


def normalise_source(source: str, mode: str) -> str:
    """Strip the indentation modelers put around code embedded in XML."""
    source = source or ""
    return source.strip() if mode == "eval" else textwrap.dedent(source).strip("\n")


def check_source(
    source: str, mode: str, allowed_names: frozenset[str] = frozenset()
) -> list[SandboxViolation]:
    """Every reason the sandbox would refuse this code (empty when it is acceptable).

    ``mode`` is ``"eval"`` for expressions and ``"exec"`` for scripts.
    """
    try:
        tree = _parse(normalise_source(source, mode), mode)
    except SandboxViolation as violation:
        return [violation]
    checker = _Checker(allowed_names)
    checker.visit(tree)
    return checker.problems


@lru_cache(maxsize=8192)
def compile_source(source: str, mode: str, allowed_names: frozenset[str] = frozenset()) -> CodeType:
    """Check, bound and compile; the one way untrusted code becomes executable. Cached per source."""
    problems = check_source(source, mode, allowed_names)
    if problems:
        raise problems[0]
    tree = _Bounder().visit(_parse(normalise_source(source, mode), mode))
    ast.fix_missing_locations(tree)
    return compile(tree, "<script>", mode)


# --------------------------------------------------------------------------- runtime


class _Budget:
    __slots__ = ("iterations", "deadline")

    def __init__(self) -> None:
        self.iterations = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def tick(self) -> bool:
        self.iterations += 1
        if self.iterations > MAX_ITERATIONS:
            raise _LimitHit(f"the script ran more than {MAX_ITERATIONS:,} loop iterations")
        if self.iterations % 256 == 0 and time.monotonic() > self.deadline:
            raise _LimitHit(f"the script ran longer than {MAX_SECONDS:g} s")
        return True


_PERCENT_WIDTH = re.compile(r"%[-+ #0]*(\*|\d+)")
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "*": operator.mul,
    "**": operator.pow,
    "<<": operator.lshift,
    "%": operator.mod,
}


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, str | list | tuple | bytes | dict | set) else None


def _bounded_binop(code: str, left: Any, right: Any) -> Any:
    if code == "*":
        for seq, count in ((left, right), (right, left)):
            n = _length(seq)
            if n is not None and isinstance(count, int) and n * max(count, 0) > MAX_SEQUENCE_LENGTH:
                raise _LimitHit(f"the result would have more than {MAX_SEQUENCE_LENGTH:,} items")
    elif code == "+":
        a, b = _length(left), _length(right)
        if a is not None and b is not None and a + b > MAX_SEQUENCE_LENGTH:
            raise _LimitHit(f"the result would have more than {MAX_SEQUENCE_LENGTH:,} items")
    elif code == "**":
        if isinstance(right, int | decimal.Decimal) and abs(right) > 10_000:
            raise _LimitHit("exponents above 10,000 are not allowed")
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and left.bit_length() * max(right, 0) > MAX_INT_BITS
        ):
            raise _LimitHit("the result would be too large a number")
    elif code == "<<":
        if isinstance(right, int) and right > MAX_INT_BITS:
            raise _LimitHit("shifts above 64,000 bits are not allowed")
    elif code == "%" and isinstance(left, str):
        for match in _PERCENT_WIDTH.finditer(left):
            if match.group(1) == "*" or int(match.group(1)) > 10_000:
                raise _LimitHit("%-format widths above 10,000 are not allowed")
    return _OPS[code](left, right)


def _bounded_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_SEQUENCE_LENGTH:
        raise _LimitHit(f"range() over more than {MAX_SEQUENCE_LENGTH:,} numbers is not allowed")
    return result


SAFE_BUILTINS: dict[str, Any] = {
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "dict": dict,
    "divmod": divmod,
    "enumerate": enumerate,
    "filter": filter,
    "float": float,
    "int": int,
    "isinstance": isinstance,
    "len": len,
    "list": list,
    "map": map,
    "max": max,
    "min": min,
    "range": _bounded_range,
    "reversed": reversed,
    "round": round,
    "set": set,
    "sorted": sorted,
    "str": str,
    "sum": sum,
    "tuple": tuple,
    "zip": zip,
    "True": True,
    "False": False,
    "None": None,
    "Exception": Exception,
    "ArithmeticError": ArithmeticError,
    "AssertionError": AssertionError,
    "IndexError": IndexError,
    "KeyError": KeyError,
    "LookupError": LookupError,
    "NameError": NameError,
    "TypeError": TypeError,
    "ValueError": ValueError,
    "ZeroDivisionError": ZeroDivisionError,
}


#: Host functions every model may call, beyond the builtins.
class BpmnError(Exception):
    """What a script raises to throw a BPMN error: ``raise BpmnError("DOCS_MISSING")``. An error boundary
    event or error event sub-process catching that code takes over; when nothing catches it the task fails."""

    def __init__(self, code: str = "", message: str | None = None) -> None:
        super().__init__(message or code)
        self.code = str(code)


DEFAULT_HOST_FUNCTIONS: dict[str, Any] = {
    "BpmnError": BpmnError,
    "date": _dt.date,
    "datetime": _dt.datetime,
    "timedelta": _dt.timedelta,
    "Decimal": decimal.Decimal,
}

_STORABLE_SCALARS = (
    str,
    int,
    float,
    bool,
    type(None),
    _dt.date,
    _dt.datetime,
    _dt.timedelta,
    decimal.Decimal,
    uuid.UUID,
)


def _check_storable(name: str, value: Any, depth: int = 0) -> None:
    if depth > 50:
        raise ScriptLimitError(f"the value of '{name}' is nested too deeply to store")
    if isinstance(value, _STORABLE_SCALARS):
        return
    if isinstance(value, list | tuple | set):
        for item in value:
            _check_storable(name, item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str | int | float | bool):
                raise ScriptLimitError(f"'{name}' has a dictionary key of type {type(key).__name__}")
            _check_storable(name, item, depth + 1)
        return
    raise ScriptLimitError(
        f"the script left a {type(value).__name__} in '{name}'; only data (text, numbers, dates, "
        "lists, dictionaries) can be stored"
    )


@dataclass
class SandboxPolicy:
    """What the scripts of one engine may call: the builtins above plus these host functions."""

    host_functions: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_HOST_FUNCTIONS))

    @property
    def allowed_names(self) -> frozenset[str]:
        return frozenset(self.host_functions)

    def with_functions(self, **functions: Any) -> SandboxPolicy:
        merged = dict(self.host_functions)
        merged.update(functions)
        return SandboxPolicy(host_functions=merged)

    def _namespace(self, data: Mapping[str, Any], extra: Mapping[str, Any] | None) -> tuple[dict, dict]:
        """Host functions, then data (a variable may shadow a host function), then motcua's own
        helpers, which nothing may shadow."""
        budget = _Budget()
        internal = {"__builtins__": SAFE_BUILTINS, _TICK: budget.tick, _BINOP: _bounded_binop}
        namespace: dict[str, Any] = dict(self.host_functions)
        if extra:
            namespace.update(extra)
        base = dict(namespace)
        namespace.update(data)
        namespace.update(internal)
        base.update(internal)
        return namespace, base

    def evaluate(
        self, expression: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None
    ) -> Any:
        code = compile_source(expression, "eval", self.allowed_names)
        namespace, _ = self._namespace(data, extra)
        try:
            return eval(code, namespace)  # noqa: S307 - checked and bounded by compile_source
        except _LimitHit as hit:
            raise ScriptLimitError(str(hit)) from None

    def execute(self, script: str, data: dict[str, Any], extra: Mapping[str, Any] | None = None) -> None:
        """Run a script with ``data`` as its variables; ``data`` is updated in place afterwards."""
        code = compile_source(script, "exec", self.allowed_names)
        namespace, base = self._namespace(data, extra)
        try:
            exec(code, namespace)  # noqa: S102 - checked and bounded by compile_source
        except _LimitHit as hit:
            raise ScriptLimitError(str(hit)) from None
        for key in [k for k in data if k not in namespace]:
            del data[key]
        for key, value in namespace.items():
            if key in base and value is base[key] and key not in data:
                continue
            if key.startswith("_") or callable(value) or isinstance(value, ModuleType):
                continue
            if data.get(key, _MISSING) is not value:
                _check_storable(key, value)
            data[key] = value


_MISSING = object()
