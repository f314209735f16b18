"""The condition language of ``when``, ``if``, segments, definitions and exclusions.

Text is parsed with a real grammar (Lark, LALR) into a small typed AST of frozen dataclasses.
Nothing is ever evaluated with ``eval`` or turned into SQL by string building: the engine compiles
this AST to Ibis expressions, and :mod:`animato.plan.checker` type-checks it against the plan's
data contract. Example::

    count(purchase, 365d) >= 3 and not segment('dormant') and country in ['FR', 'BE']
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from animato.plan.durations import Duration

GRAMMAR = r"""
?start: expr
?expr: expr "or" conj -> or_
     | conj
?conj: conj "and" neg -> and_
     | neg
?neg: "not" neg -> not_
    | comparison
?comparison: sum COMP_OP sum -> compare
           | sum "in" list -> in_
           | sum "not" "in" list -> not_in
           | sum
?sum: sum ADD_OP product -> arith
    | product
?product: product MUL_OP unary -> arith
        | unary
?unary: "-" unary -> minus
      | atom
?atom: DURATION -> duration
     | NUMBER -> number
     | STRING -> string
     | "true" -> true
     | "false" -> false
     | "null" -> null
     | NAME "(" [expr ("," expr)*] ")" -> call
     | NAME ("." NAME)* -> name
     | list
     | "(" expr ")"
list: "[" [expr ("," expr)*] "]"
COMP_OP: "==" | "!=" | "<=" | ">=" | "<" | ">"
ADD_OP: "+" | "-"
MUL_OP: "*" | "/"
DURATION.2: /\d+(mo|m|h|d|w|y)(?![A-Za-z0-9_])/
NUMBER: /\d+(\.\d+)?/
STRING: /'[^'\n]*'/ | /"[^"\n]*"/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
%ignore /[ \t\r\n]+/
"""


@dataclass(frozen=True)
class Pos:
    """Where a node starts in the condition text (1-based line and column)."""

    line: int = 1
    col: int = 1


@dataclass(frozen=True)
class Node:
    """Base of every AST node."""

    pos: Pos


@dataclass(frozen=True)
class Literal(Node):
    """A number, string, boolean or null written in the condition."""

    value: Any


@dataclass(frozen=True)
class DurationLit(Node):
    """A duration written in the condition, e.g. ``365d`` (windows of aggregates)."""

    value: Duration


@dataclass(frozen=True)
class Name(Node):
    """A dotted name: a customer field, a definition, ``event.amount``, ``anniversary.years``."""

    parts: tuple[str, ...]

    @property
    def dotted(self) -> str:
        """The name as written, parts joined by dots."""
        return ".".join(self.parts)


@dataclass(frozen=True)
class Call(Node):
    """A function call: ``count(purchase, 365d)``, ``segment('loyal')``, ``days_since(visit)``."""

    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class ListLit(Node):
    """A literal list, right-hand side of ``in``."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Compare(Node):
    """``left OP right`` with OP one of ``== != < <= > >=``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class In(Node):
    """``item in [..]`` or, negated, ``item not in [..]``."""

    item: Node
    options: ListLit
    negated: bool


@dataclass(frozen=True)
class BoolOp(Node):
    """``and`` / ``or`` over two or more operands."""

    op: str
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    """Logical negation."""

    operand: Node


@dataclass(frozen=True)
class Arith(Node):
    """``left OP right`` with OP one of ``+ - * /`` (numbers only)."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg(Node):
    """Unary minus."""

    operand: Node


class ConditionSyntaxError(ValueError):
    """A condition that does not parse, with where and what was expected."""

    def __init__(self, message: str, pos: Pos, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.pos, self.hint = message, pos, hint


def _pos(item: Any) -> Pos:
    if isinstance(item, Token):
        return Pos(item.line or 1, item.column or 1)
    if isinstance(item, Node):
        return item.pos
    return Pos()


@v_args(inline=True)
class _ToAst(Transformer[Token, Node]):
    def number(self, tok: Token) -> Literal:
        text = str(tok)
        return Literal(_pos(tok), float(text) if "." in text else int(text))

    def string(self, tok: Token) -> Literal:
        return Literal(_pos(tok), str(tok)[1:-1])

    def duration(self, tok: Token) -> DurationLit:
        return DurationLit(_pos(tok), Duration.parse(str(tok)))

    def true(self) -> Literal:
        return Literal(Pos(), True)

    def false(self) -> Literal:
        return Literal(Pos(), False)

    def null(self) -> Literal:
        return Literal(Pos(), None)

    def name(self, *parts: Token) -> Name:
        return Name(_pos(parts[0]), tuple(str(p) for p in parts))

    def call(self, func: Token, *args: Node | None) -> Call:
        return Call(_pos(func), str(func), tuple(a for a in args if a is not None))

    def list(self, *items: Node | None) -> ListLit:
        kept = tuple(i for i in items if i is not None)
        return ListLit(_pos(kept[0]) if kept else Pos(), kept)

    def compare(self, left: Node, op: Token, right: Node) -> Compare:
        return Compare(left.pos, str(op), left, right)

    def in_(self, item: Node, options: ListLit) -> In:
        return In(item.pos, item, options, False)

    def not_in(self, item: Node, options: ListLit) -> In:
        return In(item.pos, item, options, True)

    def _bool(self, op: str, left: Node, right: Node) -> BoolOp:
        operands: tuple[Node, ...] = ()
        for side in (left, right):
            operands += side.operands if isinstance(side, BoolOp) and side.op == op else (side,)
        return BoolOp(left.pos, op, operands)

    def and_(self, left: Node, right: Node) -> BoolOp:
        return self._bool("and", left, right)

    def or_(self, left: Node, right: Node) -> BoolOp:
        return self._bool("or", left, right)

    def not_(self, operand: Node) -> Not:
        return Not(operand.pos, operand)

    def arith(self, left: Node, op: Token, right: Node) -> Arith:
        return Arith(left.pos, str(op), left, right)

    def minus(self, operand: Node) -> Node:
        if isinstance(operand, Literal) and isinstance(operand.value, int | float):
            return Literal(operand.pos, -operand.value)
        return Neg(operand.pos, operand)


_PARSER = Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=True)

_TOKEN_WORDS = {
    "COMP_OP": "a comparison (== != < <= > >=)",
    "RPAR": "')'",
    "LPAR": "'('",
    "RSQB": "']'",
    "COMMA": "','",
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a quoted string",
    "AND": "'and'",
    "OR": "'or'",
    "$END": "the end of the condition",
}


def _expected(expected: set[str]) -> str:
    words = sorted({_TOKEN_WORDS.get(e, e.lower()) for e in expected})
    if len(words) > 6:
        return "a value, a name or an operator"
    return ", ".join(words)


@functools.lru_cache(maxsize=4096)  # the engine compiles the plan's conditions every tick
def parse(text: str) -> Node:
    """Parse a condition into its AST; raise ``ConditionSyntaxError`` saying where and why."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionSyntaxError("empty condition: expected an expression", Pos())
    try:
        tree = _PARSER.parse(text)
    except UnexpectedEOF as exc:
        lines = text.splitlines() or [""]
        end = Pos(len(lines), len(lines[-1]) + 1)
        raise ConditionSyntaxError(
            f"condition ends too early: expected {_expected(set(exc.expected))}", end
        ) from None
    except UnexpectedToken as exc:
        expected = _expected(set(exc.expected))
        if exc.token.type == "$END":
            lines = text.splitlines() or [""]
            end = Pos(len(lines), len(lines[-1]) + 1)
            raise ConditionSyntaxError(
                f"condition ends too early: expected {expected}", end
            ) from None
        raise ConditionSyntaxError(
            f"unexpected '{exc.token}': expected {expected}", Pos(exc.line, exc.column)
        ) from None
    except UnexpectedCharacters as exc:
        at = exc.pos_in_stream or 0
        char = text[at] if at < len(text) else "?"
        hint = "use 'and', 'or', 'not' and quotes around strings" if char in "&|!=\"'" else ""
        raise ConditionSyntaxError(
            f"unexpected character '{char}'", Pos(exc.line, exc.column), hint
        ) from None
    except UnexpectedInput as exc:  # pragma: no cover - other lark failures
        raise ConditionSyntaxError(str(exc), Pos(exc.line, exc.column)) from None
    if isinstance(tree, Node):
        return tree
    return _ToAst().transform(tree)


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children (for analyses such as 'which events')."""
    out = [node]
    children: tuple[Node, ...] = ()
    if isinstance(node, Call):
        children = node.args
    elif isinstance(node, ListLit):
        children = node.items
    elif isinstance(node, Compare | Arith):
        children = (node.left, node.right)
    elif isinstance(node, In):
        children = (node.item, node.options)
    elif isinstance(node, BoolOp):
        children = node.operands
    elif isinstance(node, Not | Neg):
        children = (node.operand,)
    for child in children:
        out.extend(walk(child))
    return out


_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6}


def unparse(node: Node) -> str:
    """Write an AST back as condition text (fully parenthesised where precedence needs it)."""
    return _unparse(node, 0)


def _wrap(text: str, level: int, outer: int) -> str:
    return f"({text})" if level <= outer else text


def _unparse(node: Node, outer: int) -> str:
    if isinstance(node, Literal):
        value = node.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return f"'{value}'" if "'" not in value else f'"{value}"'
        return _wrap(repr(value), 7, outer) if value < 0 else repr(value)
    if isinstance(node, DurationLit):
        return str(node.value)
    if isinstance(node, Name):
        return node.dotted
    if isinstance(node, Call):
        return f"{node.func}({', '.join(_unparse(a, 0) for a in node.args)})"
    if isinstance(node, ListLit):
        return f"[{', '.join(_unparse(i, 0) for i in node.items)}]"
    if isinstance(node, Compare):
        level = _PRECEDENCE["compare"]
        text = f"{_unparse(node.left, level)} {node.op} {_unparse(node.right, level)}"
        return _wrap(text, level, outer)
    if isinstance(node, In):
        level = _PRECEDENCE["compare"]
        word = "not in" if node.negated else "in"
        text = f"{_unparse(node.item, level)} {word} {_unparse(node.options, 0)}"
        return _wrap(text, level, outer)
    if isinstance(node, BoolOp):
        level = _PRECEDENCE[node.op]
        text = f" {node.op} ".join(_unparse(o, level) for o in node.operands)
        return _wrap(text, level, outer)
    if isinstance(node, Not):
        return _wrap(f"not {_unparse(node.operand, _PRECEDENCE['not'] - 1)}", 3, outer)
    if isinstance(node, Arith):
        level = _PRECEDENCE[node.op]
        text = f"{_unparse(node.left, level - 1)} {node.op} {_unparse(node.right, level)}"
        return _wrap(text, level, outer)
    if isinstance(node, Neg):
        return f"-{_unparse(node.operand, 7)}"
    raise AssertionError(f"unknown node {node!r}")
