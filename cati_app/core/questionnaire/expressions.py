"""A safe evaluator for XLSForm-style ``relevant`` conditions (DESIGN.md §3.5).

Conditions are written by questionnaire authors and run on every enumerator's PC, so they are
never handed to ``eval``/``exec``/``ast``: a tokenizer and a recursive-descent parser build a
small tree of the few node kinds below, and only those nodes are ever evaluated.

Grammar (XPath precedence, loosest first)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := comparison ("and" comparison)*
    comparison := operand (("=" | "!=" | "<" | "<=" | ">" | ">=") operand)?
    operand    := "${" name "}" | "." | 'text' | "text" | number | function "(" args ")"
                | "(" expr ")"
    function   := not | selected | count-selected | string-length | true | false

Semantics follow XLSForm/XPath 1.0 where it matters for skip logic:

* an unanswered item (missing or ``None``) is ``''``;
* ``=``/``!=`` compare numerically when both sides look numeric (``'2' = 2.0`` is true), else as
  text; ``<``, ``<=``, ``>``, ``>=`` need two numbers and are false otherwise (XPath compares
  NaN), so ``${q3} <= 2`` is false while q3 is unanswered;
* a value used as a condition is true when it is a non-empty string or a non-zero number, so
  ``${comment}`` alone means "answered";
* ``selected(${x}, 'a')`` is true when ``a`` is one of the space-separated names in x (works for
  select_one and for a future select_multiple).

``.`` is the item's own value, as in XLSForm constraints (``. >= 0 and . <= 120``);
``Expression.uses_self`` says whether a condition reads it, and ``check_answer`` evaluates a
constraint with it bound. Relevance conditions must not use it (validation says so).

Comparisons do not chain (``a = b = c`` is a syntax error): in a skip condition it is always a
mistake for ``a = b and b = c``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Guards that keep hostile or broken input from exhausting the stack or the CPU.
MAX_LENGTH = 2000
MAX_DEPTH = 50

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_NUMBER_TEXT = re.compile(r"\s*-?(?:\d+(?:\.\d*)?|\.\d+)\s*", re.ASCII)
_TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<ref>\$\{(?P<ref_name>[^}]*)\})
    |(?P<str>'[^']*'|"[^"]*")
    |(?P<num>-?(?:\d+(?:\.\d*)?|\.\d+))
    |(?P<self>\.)
    |(?P<op><=|>=|!=|=|<|>)
    |(?P<punct>[(),])
    |(?P<word>[A-Za-z_][A-Za-z0-9_-]*)""",
    re.VERBOSE | re.ASCII,
)

Value = str | float | bool
#: the key under which ``check_answer`` passes the item's own value to the tree
SELF = "."


class ExpressionError(ValueError):
    """A condition that cannot be parsed. ``position`` is the 0-based index into
    ``expression`` where the problem is; the message shows it 1-based, as editors do."""

    def __init__(self, message: str, expression: str, position: int) -> None:
        self.message = message
        self.expression = expression
        self.position = position
        shown = expression if len(expression) <= 80 else expression[:77] + "..."
        super().__init__(f"{message} at character {position + 1} of {shown!r}")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # ref, str, num, op, "(", ")", ",", word, and, or, end
    text: str
    pos: int


# --- tree nodes: the only things that are ever evaluated -------------------------------------


@dataclass(frozen=True, slots=True)
class _Ref:
    name: str

    def eval(self, answers: Mapping[str, Any]) -> Value:
        return _from_answer(answers.get(self.name))


@dataclass(frozen=True, slots=True)
class _Literal:
    value: Value

    def eval(self, answers: Mapping[str, Any]) -> Value:
        return self.value


@dataclass(frozen=True, slots=True)
class _Compare:
    op: str
    left: Any
    right: Any

    def eval(self, answers: Mapping[str, Any]) -> Value:
        return compare(self.op, self.left.eval(answers), self.right.eval(answers))


@dataclass(frozen=True, slots=True)
class _Logic:
    is_and: bool
    parts: tuple[Any, ...]

    def eval(self, answers: Mapping[str, Any]) -> Value:
        results = (truthy(part.eval(answers)) for part in self.parts)
        return all(results) if self.is_and else any(results)


@dataclass(frozen=True, slots=True)
class _Call:
    function: Callable[..., Value]
    args: tuple[Any, ...]

    def eval(self, answers: Mapping[str, Any]) -> Value:
        return self.function(*(arg.eval(answers) for arg in self.args))


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed condition. ``references`` are the item names it reads (for validation)."""

    source: str
    references: frozenset[str]
    _root: Any
    #: whether the condition reads ``.``, the item's own value (constraints only)
    uses_self: bool = False

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        return truthy(self._root.eval(answers))


# --- values ---------------------------------------------------------------------------------


def _from_answer(value: object) -> Value:
    if value is None:
        return ""
    if isinstance(value, str | bool | float):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, list | tuple):  # a multiple choice kept as a list
        return " ".join(str(v) for v in value)
    return str(value)


def truthy(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    return value != ""


def _number(value: Value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value
    return float(value) if _NUMBER_TEXT.fullmatch(value) else None


def _text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


_RELATIONAL: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def compare(op: str, left: Value, right: Value) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        # XPath: a boolean on either side of = or != turns the other side into a boolean
        if op in ("=", "!="):
            return (truthy(left) == truthy(right)) == (op == "=")
        left, right = float(truthy(left)), float(truthy(right))
    left_n, right_n = _number(left), _number(right)
    if left_n is not None and right_n is not None:
        if op == "=":
            return left_n == right_n
        if op == "!=":
            return left_n != right_n
        return _RELATIONAL[op](left_n, right_n)
    if op == "=":
        return _text(left) == _text(right)
    if op == "!=":
        return _text(left) != _text(right)
    return False


def _selected(value: Value, choice: Value) -> bool:
    return _text(choice) in _text(value).split()


def _count_selected(value: Value) -> float:
    return float(len(_text(value).split()))


def _string_length(value: Value) -> float:
    return float(len(_text(value)))


FUNCTIONS: dict[str, tuple[int, Callable[..., Value]]] = {
    "not": (1, lambda value: not truthy(value)),
    "selected": (2, _selected),
    "count-selected": (1, _count_selected),
    "string-length": (1, _string_length),
    "true": (0, lambda: True),
    "false": (0, lambda: False),
}


# --- tokenizer and parser -------------------------------------------------------------------


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            raise ExpressionError(_bad_start(source[pos]), source, pos)
        kind = match.lastgroup or ""  # the outer group: "ref", not its inner "ref_name"
        text = match.group()
        if kind == "ref":
            name = match.group("ref_name")
            if not NAME.fullmatch(name):
                raise ExpressionError(f"{text!r} is not a valid item reference", source, pos)
            text = name
        elif kind == "punct" or (kind == "word" and text in ("and", "or")):
            kind = text  # punctuation and keywords are their own token kinds
        if kind != "space":
            tokens.append(_Token(kind, text, pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(source)))
    return tokens


def _bad_start(char: str) -> str:
    if char in "'\"":
        return "unterminated text: no closing quote"
    if char == "$":
        return "unterminated reference: write ${name}"
    return f"unexpected character {char!r}"


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(source)
        self.index = 0
        self.depth = 0
        self.references: set[str] = set()
        self.uses_self = False

    def error(self, message: str, token: _Token | None = None) -> ExpressionError:
        token = token or self.peek()
        return ExpressionError(message, self.source, token.pos)

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, kind: str) -> _Token:
        token = self.peek()
        if token.kind != kind:
            raise self.error(f"expected {kind!r} but found {_describe(token)}")
        return self.take()

    def parse(self) -> Any:
        root = self.logic("or", self.and_expr)
        if self.peek().kind != "end":
            raise self.error(f"unexpected {_describe(self.peek())}")
        return root

    def and_expr(self) -> Any:
        return self.logic("and", self.comparison)

    def logic(self, word: str, operand: Callable[[], Any]) -> Any:
        parts = [operand()]
        while self.peek().kind == word:
            self.take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else _Logic(word == "and", tuple(parts))

    def comparison(self) -> Any:
        left = self.operand()
        if self.peek().kind != "op":
            return left
        op = self.take().text
        if op == "=" and self.peek().text == "=":
            raise self.error("compare with a single '=', not '=='")
        right = self.operand()
        if self.peek().kind == "op":
            raise self.error("comparisons cannot be chained; join them with 'and'")
        return _Compare(op, left, right)

    def operand(self) -> Any:
        token = self.peek()
        if token.kind == "ref":
            self.take()
            self.references.add(token.text)
            return _Ref(token.text)
        if token.kind == "self":
            self.take()
            self.uses_self = True
            return _Ref(SELF)
        if token.kind == "str":
            self.take()
            return _Literal(token.text[1:-1])
        if token.kind == "num":
            self.take()
            return _Literal(float(token.text))
        if token.kind == "(":
            return self.nested(self.group)
        if token.kind == "word":
            return self.nested(self.call)
        raise self.error(f"expected a value but found {_describe(token)}")

    def nested(self, parse: Callable[[], Any]) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} levels deep")
        result = parse()
        self.depth -= 1
        return result

    def group(self) -> Any:
        self.expect("(")
        inner = self.logic("or", self.and_expr)
        self.expect(")")
        return inner

    def call(self) -> Any:
        name_token = self.take()
        word = name_token.text
        if self.peek().kind != "(" and word in FUNCTIONS:
            raise self.error(f"{word} needs parentheses: {word}(...)")
        if self.peek().kind != "(":
            raise self.error(
                f"{word!r} is not a value: write ${{{word}}} for an item or '{word}' for text",
                name_token,
            )
        if name_token.text not in FUNCTIONS:
            known = ", ".join(f"{n}()" for n in FUNCTIONS)
            raise self.error(f"unknown function {name_token.text!r} (known: {known})", name_token)
        arity, function = FUNCTIONS[name_token.text]
        self.expect("(")
        args = []
        if self.peek().kind != ")":
            args.append(self.logic("or", self.and_expr))
            while self.peek().kind == ",":
                self.take()
                args.append(self.logic("or", self.and_expr))
        self.expect(")")
        if len(args) != arity:
            raise self.error(
                f"{name_token.text}() takes {arity} argument(s), not {len(args)}", name_token
            )
        return _Call(function, tuple(args))


def _describe(token: _Token) -> str:
    return "the end of the condition" if token.kind == "end" else repr(token.text)


@lru_cache(maxsize=1024)
def parse(source: str) -> Expression:
    """Parse a condition once; the result is cached because the script runner re-evaluates
    every condition on each keystroke."""
    if not isinstance(source, str):
        raise TypeError("a condition must be text")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH} characters", source, MAX_LENGTH)
    if not source.strip():
        raise ExpressionError("empty condition", source, 0)
    parser = _Parser(source)
    root = parser.parse()
    return Expression(source, frozenset(parser.references), root, parser.uses_self)


def evaluate(expression: str | Expression, answers: Mapping[str, Any]) -> bool:
    """True when the condition holds for these answers (item name → value)."""
    compiled = parse(expression) if isinstance(expression, str) else expression
    return compiled.evaluate(answers)


def check_answer(constraint: str | Expression, value: Any, answers: Mapping[str, Any]) -> bool:
    """True when ``value`` satisfies the item's constraint, ``.`` being ``value`` and
    ``${name}`` the other answers."""
    return evaluate(constraint, {**answers, SELF: value})
