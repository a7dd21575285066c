"""The segment expression language: a parser (no eval), a JSON form, and a bitmap evaluator.

Text form::

    tag:"size-38" AND (following OR source:scan) AND NOT gender:male

Operators, loosest first: ``OR``, ``AND``, ``NOT`` (any case), with parentheses. Terms:

- ``tag:NAME``             members carrying the tag (by name; quote names with spaces or symbols)
- ``following``            members who follow the official account now
- ``source:VALUE``         first touch: follow/oauth/scan/purchase/message, or the kind of the first
                           QR code scanned: store/guide/channel
- ``first_store:STORE_ID`` first touch at this store (its public id)
- ``gender:VALUE``         male/female/unknown
- ``city:NAME``            exact city
- ``birthday_month:N``     1..12
- ``joined_within:Nd``     became a member in the last N days

JSON form (what the console builder and API clients send)::

    {"op": "and", "args": [{"term": "tag", "value": "size-38"}, {"op": "not", "arg": {"term": "following"}}]}

Evaluation takes a ``Resolver`` that turns a term into a bitmap of member pks; the production
resolver (``bitmaps.DbResolver``) and the benchmark's in-memory one share this evaluator.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass
from typing import Any, Protocol

from pyroaring import BitMap, FrozenBitMap

from weloop.segments.errors import InvalidExpression

MAX_LENGTH = 4000
MAX_DEPTH = 32
MAX_TERMS = 200
# A part selecting more than 1/DENSE_SHARE of the members is stored as bitsets (roaring's 4096 of 65536).
DENSE_SHARE = 16

SOURCES = ("follow", "oauth", "scan", "purchase", "message")
QR_SOURCES = ("store", "guide", "channel")
GENDERS = ("male", "female", "unknown")
# Terms the language reserves for later (levels, spending): named so the error says "not yet".
RESERVED = ("level", "spent")
VALUED = ("tag", "source", "first_store", "gender", "city", "birthday_month", "joined_within")
BARE = ("following",)


@dataclass(frozen=True)
class Term:
    kind: str
    value: str = ""
    position: int = 0

    def key(self) -> tuple[str, str]:
        return (self.kind, self.value)


@dataclass(frozen=True)
class Not:
    arg: Node


@dataclass(frozen=True)
class And:
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    args: tuple[Node, ...]


Node = Term | Not | And | Or


def _fail(message: str, position: int, source: str = "") -> InvalidExpression:
    extra: dict[str, Any] = {"position": position}
    if source:
        extra["near"] = source[position : position + 20]
    return InvalidExpression(f"{message} (at character {position + 1}).", extra=extra)


# --- tokens ---------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lp>\()|(?P<rp>\))|
        (?P<word>[A-Za-z_][A-Za-z0-9_]*)(?P<colon>:)?
    )""",
    re.VERBOSE,
)
_BARE_VALUE = re.compile(r"[^\s()\"]+")


@dataclass(frozen=True)
class _Tok:
    kind: str  # "(", ")", "AND", "OR", "NOT", "TERM", "END"
    position: int
    term: Term | None = None


def _quoted(text: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise _fail('A quoted value is not closed: add the closing "', start, text)


def _tokens(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            tokens.append(_Tok("END", i))
            return tokens
        m = _TOKEN.match(text, i)
        if not m or m.end() == i:
            raise _fail(f"Unexpected character {text[i]!r}", i, text)
        start = m.start("lp") if m.group("lp") else m.start("rp") if m.group("rp") else m.start("word")
        if m.group("lp"):
            tokens.append(_Tok("(", start))
            i = m.end()
            continue
        if m.group("rp"):
            tokens.append(_Tok(")", start))
            i = m.end()
            continue
        word = m.group("word")
        i = m.end()
        upper = word.upper()
        if not m.group("colon") and upper in ("AND", "OR", "NOT"):
            tokens.append(_Tok(upper, start))
            continue
        kind = word.lower()
        if not m.group("colon"):
            if kind in BARE:
                tokens.append(_Tok("TERM", start, Term(kind, "", start)))
                continue
            if kind in VALUED:
                raise _fail(f"{word} needs a value, e.g. {kind}:…", start, text)
            raise _fail(f"Unknown term {word!r}", start, text)
        if i < len(text) and text[i] == '"':
            value, i = _quoted(text, i)
        else:
            vm = _BARE_VALUE.match(text, i)
            if not vm:
                raise _fail(f"{word}: needs a value", start, text)
            value, i = vm.group(0), vm.end()
        tokens.append(_Tok("TERM", start, check_term(kind, value, start, text)))


def check_term(kind: str, value: str, position: int = 0, source: str = "") -> Term:
    """Validate one term (its kind and value); raise InvalidExpression saying what is wrong."""
    kind = (kind or "").strip().lower()
    value = str(value if value is not None else "").strip()
    if kind in RESERVED:
        raise _fail(f"The term {kind!r} is not supported yet", position, source)
    if kind in BARE:
        if value:
            raise _fail(f"{kind} takes no value", position, source)
        return Term(kind, "", position)
    if kind not in VALUED:
        known = ", ".join((*BARE, *VALUED))
        raise _fail(f"Unknown term {kind!r}: use one of {known}", position, source)
    if not value:
        raise _fail(f"{kind}: needs a value", position, source)
    if kind == "source" and value not in SOURCES + QR_SOURCES:
        raise _fail(f"source must be one of {', '.join(SOURCES + QR_SOURCES)}", position, source)
    if kind == "gender" and value not in GENDERS:
        raise _fail(f"gender must be one of {', '.join(GENDERS)}", position, source)
    if kind == "birthday_month" and not (value.isdigit() and 1 <= int(value) <= 12):
        raise _fail("birthday_month must be a month number from 1 to 12", position, source)
    if kind == "birthday_month":
        value = str(int(value))
    if kind == "joined_within":
        m = re.fullmatch(r"(\d{1,4})d", value)
        if not m or int(m.group(1)) < 1:
            raise _fail("joined_within takes a number of days, e.g. joined_within:30d", position, source)
        value = f"{int(m.group(1))}d"
    if kind == "tag" and len(value) > 30:
        raise _fail("A tag name has at most 30 characters", position, source)
    return Term(kind, value, position)


# --- parser ---------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def found(self, tok: _Tok) -> str:
        if tok.kind == "END":
            return "the end of the expression"
        if tok.kind == "TERM" and tok.term:
            return repr(_text(tok.term))
        return repr(tok.kind)

    def parse(self) -> Node:
        node = self.or_()
        tok = self.peek()
        if tok.kind != "END":
            what = "AND or OR" if tok.kind in ("TERM", "(", "NOT") else "AND, OR or the end"
            raise _fail(f"Expected {what}, found {self.found(tok)}", tok.position, self.text)
        return node

    def or_(self) -> Node:
        args = [self.and_()]
        while self.peek().kind == "OR":
            self.take()
            args.append(self.and_())
        return args[0] if len(args) == 1 else Or(tuple(args))

    def and_(self) -> Node:
        args = [self.not_()]
        while self.peek().kind == "AND":
            self.take()
            args.append(self.not_())
        return args[0] if len(args) == 1 else And(tuple(args))

    def not_(self) -> Node:
        if self.peek().kind == "NOT":
            self.take()
            return Not(self.not_())
        return self.atom()

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "TERM" and tok.term:
            return tok.term
        if tok.kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _fail("Too many nested parentheses", tok.position, self.text)
            node = self.or_()
            close = self.take()
            if close.kind != ")":
                raise _fail(
                    f"Expected ')' to close the '(' at {tok.position + 1}, found {self.found(close)}",
                    close.position,
                    self.text,
                )
            self.depth -= 1
            return node
        raise _fail(f"Expected a term or '(', found {self.found(tok)}", tok.position, self.text)


def parse(text: str) -> Node:
    """Parse a text expression into a tree; raise InvalidExpression with the position of the fault."""
    text = str(text or "")
    if not text.strip():
        raise _fail("The expression is empty", 0)
    if len(text) > MAX_LENGTH:
        raise _fail(f"The expression is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    node = _Parser(text).parse()
    if len(terms(node)) > MAX_TERMS:
        raise _fail(f"The expression has more than {MAX_TERMS} terms", 0)
    return node


def from_json(data: Any, *, _depth: int = 0) -> Node:
    """Read the JSON form; raise InvalidExpression naming the faulty part (as a path)."""
    if _depth > MAX_DEPTH:
        raise InvalidExpression("The expression is nested too deeply.", extra={"position": 0})
    if not isinstance(data, dict):
        raise InvalidExpression("Each part of the expression must be an object.", extra={"position": 0})
    if "term" in data:
        return check_term(str(data.get("term") or ""), str(data.get("value") or ""))
    op = str(data.get("op") or "").lower()
    if op == "not":
        return Not(from_json(data.get("arg"), _depth=_depth + 1))
    if op in ("and", "or"):
        args = data.get("args")
        if not isinstance(args, list) or not args:
            raise InvalidExpression(f"'{op}' needs a non-empty list 'args'.", extra={"position": 0})
        nodes = tuple(from_json(a, _depth=_depth + 1) for a in args)
        if len(nodes) == 1:
            return nodes[0]
        return And(nodes) if op == "and" else Or(nodes)
    raise InvalidExpression("Each part needs 'term' or 'op' (and, or, not).", extra={"position": 0})


def to_json(node: Node) -> dict[str, Any]:
    if isinstance(node, Term):
        return {"term": node.kind, "value": node.value} if node.value else {"term": node.kind}
    if isinstance(node, Not):
        return {"op": "not", "arg": to_json(node.arg)}
    return {"op": "and" if isinstance(node, And) else "or", "args": [to_json(a) for a in node.args]}


_PLAIN = re.compile(r"[^\s()\"\\]+")


def _text(term: Term) -> str:
    if not term.value:
        return term.kind
    value = term.value
    if term.kind in ("tag", "city") or not _PLAIN.fullmatch(value):
        value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{term.kind}:{value}"


def to_text(node: Node, _parent: str = "") -> str:
    """The canonical text of a tree: parses back to the same tree."""
    if isinstance(node, Term):
        return _text(node)
    if isinstance(node, Not):
        inner = to_text(node.arg, "not")
        return f"NOT {inner}"
    op = "and" if isinstance(node, And) else "or"
    body = f" {op.upper()} ".join(to_text(a, op) for a in node.args)
    return f"({body})" if _parent in ("and", "not") or (_parent == "or" and op == "or") else body


def normalize(expression: str | dict[str, Any]) -> tuple[Node, str]:
    """Parse either form; return the tree and its canonical text."""
    node = from_json(expression) if isinstance(expression, dict) else parse(str(expression))
    return node, to_text(node)


def terms(node: Node) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return terms(node.arg)
    return [t for a in node.args for t in terms(a)]


def mentions_following(node: Node) -> bool:
    return any(t.kind == "following" for t in terms(node))


# --- evaluation -----------------------------------------------------------------------------------


class Resolver(Protocol):
    def universe(self) -> FrozenBitMap | BitMap: ...

    def term(self, term: Term) -> FrozenBitMap | BitMap: ...


def evaluate(node: Node, resolver: Resolver) -> BitMap:
    """Members (pks) the tree selects, within the resolver's universe. Never mutates cached bitmaps."""
    return BitMap(_eval(node, resolver) & resolver.universe())


def _eval(node: Node, resolver: Resolver) -> FrozenBitMap | BitMap:
    if isinstance(node, Term):
        return resolver.term(node)
    if isinstance(node, Not):
        return resolver.universe() - _eval(node.arg, resolver)
    if isinstance(node, Or):
        parts = [_eval(a, resolver) for a in node.args]
        return functools.reduce(operator.or_, parts)
    # AND: intersect the positive parts smallest first, then subtract the negated ones (a AND NOT b = a - b).
    # Nested ANDs are flattened so every part joins one ordering. Pairwise ``&`` on purpose: pyroaring's
    # many-argument ``intersection`` is ~80x slower on dense bitmaps (bench_segments).
    args = _flat_and(node)
    positives = [_eval(a, resolver) for a in args if not isinstance(a, Not)]
    negatives = [_eval(a.arg, resolver) for a in args if isinstance(a, Not)]
    if positives:
        positives.sort(key=len)
        if len(positives[0]) * DENSE_SHARE >= len(resolver.universe()):
            # All dense: largest first keeps the intermediates as bitset containers; the one costly
            # bitset-to-array conversion then happens once, on the smallest result.
            positives.reverse()
        result = functools.reduce(operator.and_, positives)
    else:
        result = resolver.universe()
    for neg in sorted(negatives, key=len, reverse=True):
        if not result:
            break
        result = result - neg
    return result


def _flat_and(node: And) -> list[Node]:
    out: list[Node] = []
    for a in node.args:
        out.extend(_flat_and(a) if isinstance(a, And) else [a])
    return out
