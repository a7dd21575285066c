from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyroaring import BitMap

from weloop.segments import expressions as ex
from weloop.segments.errors import InvalidExpression


def test_parse_gives_precedence_not_and_or():
    node = ex.parse('tag:"size-38" OR following AND NOT gender:male')
    assert node == ex.Or(
        (
            ex.Term("tag", "size-38", 0),
            ex.And((ex.Term("following", "", 17), ex.Not(ex.Term("gender", "male", 35)))),
        )
    )


def test_parse_reads_every_term_kind_and_quotes():
    node = ex.parse(
        'tag:"a \\"b\\"" and source:store and first_store:st_1 and city:"上海" and birthday_month:05 '
        "and joined_within:30d and (following or not source:scan)"
    )
    kinds = [(t.kind, t.value) for t in ex.terms(node)]
    assert kinds == [
        ("tag", 'a "b"'),
        ("source", "store"),
        ("first_store", "st_1"),
        ("city", "上海"),
        ("birthday_month", "5"),
        ("joined_within", "30d"),
        ("following", ""),
        ("source", "scan"),
    ]


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("", 0, "empty"),
        ("tag:x AND", 9, "Expected a term"),
        ("tag:x tag:y", 6, "Expected AND or OR"),
        ("(tag:x OR following", 19, "Expected ')'"),
        ("following)", 9, "Expected AND, OR"),
        ('tag:"open', 4, "not closed"),
        ("colour:red", 0, "Unknown term"),
        ("following AND gender:other", 14, "gender must be"),
        ("birthday_month:13", 0, "month number"),
        ("joined_within:30", 0, "number of days"),
        ("level:gold", 0, "not supported yet"),
        ("tag", 0, "needs a value"),
        ("following & tag:x", 10, "Unexpected character"),
    ],
)
def test_parse_errors_say_where_and_what(text, position, words):
    with pytest.raises(InvalidExpression) as err:
        ex.parse(text)
    assert err.value.code == "segments.invalid_expression"
    assert err.value.extra["position"] == position
    assert words in err.value.detail
    assert f"character {position + 1}" in err.value.detail


def test_json_form_round_trips_through_text():
    data = {
        "op": "and",
        "args": [
            {"term": "tag", "value": "VIP 客户"},
            {"op": "or", "args": [{"term": "following"}, {"term": "source", "value": "scan"}]},
            {"op": "not", "arg": {"term": "gender", "value": "male"}},
        ],
    }
    _node, text = ex.normalize(data)
    assert text == 'tag:"VIP 客户" AND (following OR source:scan) AND NOT gender:male'
    assert ex.to_json(ex.parse(text)) == data


@pytest.mark.parametrize("bad", [[], {"op": "xor"}, {"op": "and", "args": []}, {"term": "tag"}, {"op": "not"}])
def test_json_form_errors_are_invalid_expression(bad):
    with pytest.raises(InvalidExpression):
        ex.from_json(bad)


_terms = st.sampled_from(
    [
        ex.Term("tag", "a"),
        ex.Term("tag", "b c"),
        ex.Term("following"),
        ex.Term("gender", "female"),
        ex.Term("city", '上"海'),
    ]
)
_nodes = st.recursive(
    _terms,
    lambda kids: st.one_of(
        kids.map(ex.Not),
        st.lists(kids, min_size=2, max_size=3).map(lambda a: ex.And(tuple(a))),
        st.lists(kids, min_size=2, max_size=3).map(lambda a: ex.Or(tuple(a))),
    ),
    max_leaves=8,
)


def _strip(node):
    if isinstance(node, ex.Term):
        return ("T", node.kind, node.value)
    if isinstance(node, ex.Not):
        return ("N", _strip(node.arg))
    return ("A" if isinstance(node, ex.And) else "O", tuple(_strip(a) for a in node.args))


class _SetResolver:
    universe_bits = BitMap(range(40))
    bits = {
        ("tag", "a"): BitMap(range(0, 40, 2)),
        ("tag", "b c"): BitMap(range(0, 40, 3)),
        ("following", ""): BitMap(range(10, 30)),
        ("gender", "female"): BitMap(range(5, 15)),
        ("city", '上"海'): BitMap([1, 2, 3, 39]),
    }

    def universe(self):
        return self.universe_bits

    def term(self, term):
        return self.bits[term.key()]


def _sets(node, r):
    if isinstance(node, ex.Term):
        return set(r.term(node))
    if isinstance(node, ex.Not):
        return set(r.universe()) - _sets(node.arg, r)
    parts = [_sets(a, r) for a in node.args]
    return set.intersection(*parts) if isinstance(node, ex.And) else set.union(*parts)


@given(_nodes)
def test_text_form_parses_back_to_the_same_tree(node):
    assert _strip(ex.parse(ex.to_text(node))) == _strip(node)


@given(_nodes)
def test_bitmap_evaluation_equals_set_algebra(node):
    r = _SetResolver()
    before = {k: BitMap(v) for k, v in r.bits.items()}
    assert set(ex.evaluate(node, r)) == _sets(node, r)
    assert r.bits == before  # cached bitmaps are never mutated
