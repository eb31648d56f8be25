"""OData v2 ``$filter`` and ``$orderby`` compiled to SQLite (parameterised, index friendly).

Supported: ``eq ne gt ge lt le``, ``and or not``, parentheses, ``substringof``, ``startswith``,
``endswith``, ``tolower``, ``toupper``, ``length``, ``trim``; literals ``'text'``, numbers
(``12``, ``1.5M``, ``10L``, ``2.0d``), ``true/false``, ``null``, ``datetime'...'``,
``datetimeoffset'...'``, ``time'PT..'``, ``guid'...'``. String functions are case-sensitive like
SAP's. A comparison with an initial value (``''``, ``0``, ``false``) also matches unset fields,
because ABAP fields are never null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .edmx import EntityType, Prop
from .errors import SapError
from .store import q
from .values import coerce_literal, parse_literal

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<typed>(?:datetimeoffset|datetime|time|guid|binary|X)'(?:[^']|'')*')"
    r"|(?P<str>'(?:[^']|'')*')"
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?(?![\w]))"
    r"|(?P<punct>[(),])"
    r"|(?P<word>[A-Za-z_][\w/.]*)"
    r")"
)
_OPS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_INITIAL = {"Edm.String": "''", "Edm.Boolean": "0"}


def bad_filter(text: str) -> SapError:
    return SapError("/IWBEP/CM_MGW_RT", "006", f"Invalid filter expression: {text}")


@dataclass
class _Expr:
    sql: str
    params: list
    kind: str  # 'bool' | 'prop' | 'value' | 'string'
    prop: Prop | None = None
    literal: tuple | None = None  # (kind, value) for literals


class _Parser:
    def __init__(self, text: str, etype: EntityType) -> None:
        self.text = text
        self.etype = etype
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise bad_filter(self.text)
            kind = m.lastgroup
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise bad_filter(self.text)
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        if self.take()[1] != value:
            raise bad_filter(self.text)

    def parse(self) -> _Expr:
        expr = self.or_expr()
        if self.peek() is not None:
            raise bad_filter(self.text)
        return self.as_bool(expr)

    def as_bool(self, e: _Expr) -> _Expr:
        if e.kind == "bool":
            return e
        if e.kind == "prop" and e.prop and e.prop.edm_type == "Edm.Boolean":
            return _Expr(f"COALESCE({e.sql}, 0) = 1", e.params, "bool")
        raise bad_filter(self.text)

    def or_expr(self) -> _Expr:
        left = self.and_expr()
        while self.peek() and self.peek()[1] == "or":
            self.take()
            right = self.and_expr()
            left = self._join("OR", left, right)
        return left

    def and_expr(self) -> _Expr:
        left = self.not_expr()
        while self.peek() and self.peek()[1] == "and":
            self.take()
            right = self.not_expr()
            left = self._join("AND", left, right)
        return left

    def _join(self, op: str, a: _Expr, b: _Expr) -> _Expr:
        a, b = self.as_bool(a), self.as_bool(b)
        return _Expr(f"({a.sql} {op} {b.sql})", a.params + b.params, "bool")

    def not_expr(self) -> _Expr:
        if self.peek() and self.peek()[1] == "not":
            self.take()
            inner = self.as_bool(self.not_expr())
            return _Expr(f"NOT ({inner.sql})", inner.params, "bool")
        return self.comparison()

    def comparison(self) -> _Expr:
        left = self.primary()
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1] in _OPS:
            self.take()
            right = self.primary()
            return self._compare(left, tok[1], right)
        return left

    def _compare(self, left: _Expr, op: str, right: _Expr) -> _Expr:
        if left.kind == "value" and right.kind != "value":
            left, right = right, left
            op = {"gt": "lt", "lt": "gt", "ge": "le", "le": "ge"}.get(op, op)
        sql_op = _OPS[op]
        if right.literal is not None and right.literal[0] == "null":
            if op not in ("eq", "ne"):
                raise bad_filter(self.text)
            return _Expr(f"{left.sql} IS {'NOT ' if op == 'ne' else ''}NULL", left.params, "bool")
        if left.kind == "bool" and right.literal and right.literal[0] == "boolean":
            truth = bool(right.literal[1]) == (op == "eq")
            return _Expr(left.sql if truth else f"NOT ({left.sql})", left.params, "bool")
        params = list(left.params)
        rsql, rparams = right.sql, right.params
        lsql = left.sql
        if left.kind == "prop" and right.literal is not None:
            try:
                value = coerce_literal(left.prop, *right.literal)
            except (ValueError, TypeError):
                raise bad_filter(self.text) from None
            rsql, rparams = "?", [value]
            t = left.prop.edm_type
            initial = _INITIAL.get(t)
            if initial is None and (
                t in ("Edm.Decimal", "Edm.Double") or t.startswith("Edm.Int") or t == "Edm.Byte"
            ):
                initial = "0"
            if initial is not None and (op == "ne" or value in ("", 0, 0.0)):
                lsql = f"COALESCE({left.sql}, {initial})"
        return _Expr(f"{lsql} {sql_op} {rsql}", params + list(rparams), "bool")

    def primary(self) -> _Expr:
        kind, value = self.take()
        if kind == "punct" and value == "(":
            e = self.or_expr()
            self.expect(")")
            return e
        if kind in ("str", "typed", "num"):
            try:
                lit = parse_literal(value)
            except ValueError:
                raise bad_filter(self.text) from None
            return _Expr("?", [lit[1]], "value", literal=lit)
        if kind == "word":
            low = value.lower()
            if low in ("true", "false", "null"):
                lit = parse_literal(low)
                return _Expr("?", [lit[1]], "value", literal=lit)
            nxt = self.peek()
            if nxt and nxt[1] == "(":
                return self.function(low)
            prop = self.etype.props.get(value)
            if prop is None:
                raise SapError(
                    "/IWBEP/CM_MGW_RT", "007", f"Property '{value}' not found in {self.etype.name}"
                )
            return _Expr(q(value), [], "prop", prop=prop)
        raise bad_filter(self.text)

    def _args(self) -> list[_Expr]:
        self.expect("(")
        args = [self.or_expr()]
        while self.peek() and self.peek()[1] == ",":
            self.take()
            args.append(self.or_expr())
        self.expect(")")
        return args

    @staticmethod
    def _text(e: _Expr) -> tuple[str, list]:
        if e.kind == "prop":
            return f"COALESCE({e.sql}, '')", e.params
        if e.literal is not None:
            return "?", [str(e.literal[1])]
        return e.sql, e.params

    def function(self, name: str) -> _Expr:
        args = self._args()
        if name == "substringof" and len(args) == 2:
            (n, np_), (h, hp) = self._text(args[0]), self._text(args[1])
            return _Expr(f"instr({h}, {n}) > 0", hp + np_, "bool")
        if name in ("startswith", "endswith") and len(args) == 2:
            (h, hp), (n, np_) = self._text(args[0]), self._text(args[1])
            if name == "startswith":
                return _Expr(f"substr({h}, 1, length({n})) = {n}", hp + np_ + np_, "bool")
            return _Expr(f"substr({h}, -length({n})) = {n}", hp + np_ + np_, "bool")
        if name in ("tolower", "toupper", "trim") and len(args) == 1:
            sql, params = self._text(args[0])
            fn = {"tolower": "lower", "toupper": "upper", "trim": "trim"}[name]
            prop = Prop("_fn", "Edm.String")
            return _Expr(f"{fn}({sql})", params, "prop", prop=prop)
        if name == "length" and len(args) == 1:
            sql, params = self._text(args[0])
            return _Expr(f"length({sql})", params, "prop", prop=Prop("_fn", "Edm.Int32"))
        raise bad_filter(self.text)


def compile_filter(text: str, etype: EntityType) -> tuple[str, list]:
    """``$filter`` text -> (SQL condition, parameters)."""
    expr = _Parser(text, etype).parse()
    return expr.sql, expr.params


def compile_orderby(text: str, etype: EntityType) -> str:
    parts = []
    for item in text.split(","):
        bits = item.strip().split()
        if not bits:
            continue
        if bits[0] not in etype.props or len(bits) > 2:
            raise SapError("/IWBEP/CM_MGW_RT", "008", f"Invalid $orderby: {text}")
        direction = bits[1].lower() if len(bits) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise SapError("/IWBEP/CM_MGW_RT", "008", f"Invalid $orderby: {text}")
        parts.append(f"{q(bits[0])} {direction.upper()}")
    parts += [f"{q(k)} ASC" for k in etype.keys]
    return ", ".join(parts)
