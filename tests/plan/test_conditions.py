"""The condition language: parsing, positions, errors, and a property-based round trip."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from animato.plan.conditions import (
    Arith,
    BoolOp,
    Call,
    Compare,
    ConditionSyntaxError,
    DurationLit,
    In,
    ListLit,
    Literal,
    Name,
    Neg,
    Node,
    Not,
    Pos,
    parse,
    unparse,
)
from animato.plan.durations import Duration

P = Pos()


def strip(node: Any) -> Any:
    """The AST without positions, for comparing trees."""
    if isinstance(node, Node):
        values = {f.name: strip(getattr(node, f.name)) for f in dataclasses.fields(node)}
        values["pos"] = P
        return type(node)(**values)
    if isinstance(node, tuple):
        return tuple(strip(n) for n in node)
    return node


def test_precedence_and_structure() -> None:
    tree = parse("count(purchase, 365d) >= 3 and not segment('dormant') or vip")
    assert strip(tree) == BoolOp(
        P,
        "or",
        (
            BoolOp(
                P,
                "and",
                (
                    Compare(
                        P,
                        ">=",
                        Call(
                            P, "count", (Name(P, ("purchase",)), DurationLit(P, Duration(365, "d")))
                        ),
                        Literal(P, 3),
                    ),
                    Not(P, Call(P, "segment", (Literal(P, "dormant"),))),
                ),
            ),
            Name(P, ("vip",)),
        ),
    )


def test_positions_point_at_names() -> None:
    tree = parse("a == 1 and\n  sum(purchase.amount, 90d) > 10")
    assert isinstance(tree, BoolOp)
    right = tree.operands[1]
    assert isinstance(right, Compare) and isinstance(right.left, Call)
    assert right.left.args[0].pos == Pos(2, 7)


def test_not_in_and_keywords_inside_names() -> None:
    tree = strip(parse("index not in [1, 2] and order_count > 0"))
    assert isinstance(tree, BoolOp)
    assert tree.operands[0] == In(
        P, Name(P, ("index",)), ListLit(P, (Literal(P, 1), Literal(P, 2))), True
    )


@pytest.mark.parametrize(
    ("text", "message", "pos"),
    [
        ("a and", "condition ends too early", Pos(1, 6)),
        ("a && b", "unexpected character '&'", Pos(1, 3)),
        ("a == == b", "unexpected '=='", Pos(1, 6)),
        ("count(purchase,", "condition ends too early", Pos(1, 16)),
        ("   ", "empty condition", Pos(1, 1)),
        ("x == 7 days", "unexpected 'days'", Pos(1, 8)),
    ],
)
def test_syntax_errors_say_where_and_what(text: str, message: str, pos: Pos) -> None:
    with pytest.raises(ConditionSyntaxError) as raised:
        parse(text)
    assert raised.value.message.startswith(message)
    assert raised.value.pos == pos


names = st.sampled_from(["country", "age", "vip", "lifecycle", "event.amount", "anniversary.years"])
leaves: st.SearchStrategy[Node] = st.one_of(
    st.integers(0, 10_000).map(lambda i: Literal(P, i)),
    st.floats(0, 1e6, allow_nan=False).map(lambda f: Literal(P, round(f, 3))),
    st.text("abcdeéFR _-", max_size=8).map(lambda s: Literal(P, s)),
    st.sampled_from([True, False, None]).map(lambda v: Literal(P, v)),
    names.map(lambda n: Name(P, tuple(n.split(".")))),
    st.builds(
        lambda n, u: DurationLit(P, Duration(n, u)),
        st.integers(1, 999),
        st.sampled_from(["m", "h", "d", "w", "mo", "y"]),
    ),
)


def extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(
            lambda o, a, b: Compare(P, o, a, b),
            st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
            children,
            children,
        ),
        st.builds(lambda o, a, b: Arith(P, o, a, b), st.sampled_from("+-*/"), children, children),
        st.builds(
            lambda op, xs: BoolOp(P, op, tuple(xs)),
            st.sampled_from(["and", "or"]),
            st.lists(children, min_size=2, max_size=3),
        ),
        st.builds(lambda x: Not(P, x), children),
        st.builds(lambda x: Neg(P, x), children.filter(lambda n: not isinstance(n, Literal))),
        st.builds(
            lambda f, xs: Call(P, f, tuple(xs)),
            st.sampled_from(["count", "segment", "f"]),
            st.lists(children, max_size=3),
        ),
        st.builds(
            lambda x, xs, neg: In(P, x, ListLit(P, tuple(xs)), neg),
            children,
            st.lists(children, max_size=3),
            st.booleans(),
        ),
    )


def flatten(node: Any) -> Any:
    """Nested and/or of the same operator are one operation (the parser flattens them)."""
    if isinstance(node, BoolOp):
        ops: tuple[Node, ...] = ()
        for o in node.operands:
            o = flatten(o)
            ops += o.operands if isinstance(o, BoolOp) and o.op == node.op else (o,)
        return BoolOp(P, node.op, ops)
    if isinstance(node, Node):
        values = {f.name: flatten(getattr(node, f.name)) for f in dataclasses.fields(node)}
        return type(node)(**values)
    if isinstance(node, tuple):
        return tuple(flatten(n) for n in node)
    return node


@given(st.recursive(leaves, extend, max_leaves=12))
def test_unparse_then_parse_gives_the_same_tree(tree: Node) -> None:
    assert strip(parse(unparse(tree))) == flatten(tree)
