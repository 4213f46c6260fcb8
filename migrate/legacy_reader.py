"""project.json's legacy shot arrays, one shot at a time.

A 100k-shot project.json parses into some 200 MiB of Python objects, about four times
its size: holding it, its backup and the new sequence files at once is what made a
migration peak at ten times the file. :func:`scan` reads the file once, shot by shot,
and keeps each legacy shot as its byte span in the file plus the few facts the
planner routes by (:class:`ShotFacts`); a shot's document is parsed again, from its
span, only when a sequence file holding it is written.

The split is proven, never assumed. A file written with 2-space indentation (the
app's ``JSON.stringify(doc, null, 2)``, seqcheck's own writers) has each top-level
member on a line starting with exactly two spaces and a quote, and each element of a
top-level array on a line starting with four spaces and a brace. Those places are
only candidates: a raw newline cannot occur inside a JSON string, so every line start
is outside one, but a hostile file may indent anything anyhow. Each piece between two
candidates must then be one complete JSON value read exactly by the strict parser's
fast path (:func:`conformance.jsonio.orjson_read_is_exact`, orjson's own nesting
bound), joined to the next by whitespace and one comma, with no top-level key twice.
JSON's grammar is unambiguous, so pieces that are each a complete value and are
joined that way are the document's members and elements and nothing else. The
elements go 512 at a time: a group whose text is exactly orjson's 2-space rendering
of its parse (a canonically written file) is parsed and proven in one call each way;
any other group element by element.

Whenever a piece fails (a syntax error, a duplicate key, a big integer, another
layout, an element that is not an object, ...), :func:`scan` returns ``None`` and the
caller parses the whole file as before: every error is then the strict parser's own,
with the same code, message and location, and every value the same.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, NamedTuple

import orjson

from conformance.documents import LEGACY_ARRAYS, MEMBERSHIP_FIELDS
from conformance.jsonio import BOM, orjson_read_is_exact
from conformance.limits import MAX_STRING_CHARS

Shot = dict[str, Any]

_MEMBER_START = re.compile(rb'\n  "')
_ELEMENT_START = b"\n    {"
_NEXT_ELEMENT = re.compile(rb",[ \t\n\r]*\n    \{")
# A JSON string literal (the key of a member): no raw control character inside.
_STRING = re.compile(rb'"(?:[^"\\\x00-\x1f]|\\.)*"', re.DOTALL)
_WS = b" \t\n\r"


class _Missing:
    """The value of a field a shot does not have (distinct from JSON ``null``)."""

    def __repr__(self) -> str:
        return "MISSING"


#: A field the shot does not have.
MISSING: Any = _Missing()


class ShotFacts(NamedTuple):
    """What routing needs of one legacy shot, read from its document once: the
    values (any JSON value, as found, or :data:`MISSING`; the checks of the snapshot
    decide whether they are usable) of its ``id``, ``sequencePlanId`` and
    ``sequence_id``, and its ``metadata.sequence_id`` (``None`` when absent)."""

    id: Any
    plan_id: Any
    sequence_id: Any
    meta_sequence_id: Any

    @property
    def has_id(self) -> bool:
        return self.id is not MISSING

    def members(self) -> dict[str, Any]:
        """The membership fields the shot has and their values, in
        :data:`~conformance.documents.MEMBERSHIP_FIELDS` order."""
        out = {}
        if self.plan_id is not MISSING:
            out[MEMBERSHIP_FIELDS[0]] = self.plan_id
        if self.sequence_id is not MISSING:
            out[MEMBERSHIP_FIELDS[1]] = self.sequence_id
        return out


# The field order ShotFacts.members relies on.
assert MEMBERSHIP_FIELDS == ("sequencePlanId", "sequence_id")
_NO_FACTS = ShotFacts(MISSING, MISSING, MISSING, None)
_new_facts = tuple.__new__  # ShotFacts without its Python-level __new__ (100k calls)


def facts_of(shot: Any, names: dict[Any, Any] | None = None) -> ShotFacts:
    """The :class:`ShotFacts` of a parsed legacy element (none for a non-object).
    ``names``: the sequence ids seen so far, so that the many shots naming one
    sequence share one string (ids that are not strings are kept as they are)."""
    if type(shot) is not dict:
        return _NO_FACTS
    get = shot.get
    plan_id, seq_id = get("sequencePlanId", MISSING), get("sequence_id", MISSING)
    if names is not None:
        if type(plan_id) is str:
            plan_id = names.setdefault(plan_id, plan_id)
        if type(seq_id) is str:
            seq_id = names.setdefault(seq_id, seq_id)
    metadata = get("metadata")
    meta = metadata.get("sequence_id") if type(metadata) is dict else None
    facts: ShotFacts = _new_facts(ShotFacts, (get("id", MISSING), plan_id, seq_id, meta))
    return facts


#: Called with each group of legacy shots a scan parses, in order: ``(array, index of
#: the first, shots)``.
Visit = Callable[[str, int, list[Shot]], None]


@dataclass
class LegacyProject:
    """project.json read for migration: its bytes, its members, its legacy shots.

    ``head`` holds every top-level member in file order; the value of each legacy
    array present (a list) is an empty list standing for it, its elements being
    :meth:`shot` ``(array, 0 .. count - 1)``. Built by :func:`scan` (shots kept as
    spans of ``raw``) or :meth:`from_document` (shots kept parsed)."""

    raw: bytes
    head: dict[str, Any]
    #: Per streamed array, each element's start and end offsets in ``raw``, in turn.
    _spans: dict[str, array[int]]
    _parsed: dict[str, list[Any]]
    facts: dict[str, list[ShotFacts]]
    #: Built by :func:`scan` (which handed every shot to its ``visit``).
    streamed: bool
    #: How many elements each legacy array present as a list has.
    counts: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = {name: len(spans) // 2 for name, spans in self._spans.items()}
        self.counts.update((name, len(shots)) for name, shots in self._parsed.items())

    def forget_facts(self) -> None:
        """Drop :attr:`facts` (routing is done; they are a tenth of a big file's size)."""
        self.facts = {name: [] for name in self.facts}

    @classmethod
    def from_document(cls, raw: bytes, doc: dict[str, Any]) -> LegacyProject:
        """From the whole parsed document (a layout :func:`scan` does not stream):
        the shots stay parsed. Elements that are not objects get empty facts (the
        caller's checks refuse such a file)."""
        head: dict[str, Any] = {}
        parsed: dict[str, list[Any]] = {}
        facts: dict[str, list[ShotFacts]] = {}
        for key, value in doc.items():
            if key in LEGACY_ARRAYS and isinstance(value, list):
                head[key] = []
                parsed[key] = value
                facts[key] = [facts_of(s) for s in value]
            else:
                head[key] = value
        return cls(raw, head, {}, parsed, facts, False)

    def arrays(self) -> list[str]:
        """The legacy arrays present as lists, in :data:`LEGACY_ARRAYS` order."""
        return [a for a in LEGACY_ARRAYS if a in self.counts]

    def count(self, array: str) -> int:
        """How many elements legacy array ``array`` has (0 when absent)."""
        return self.counts.get(array, 0)

    def shot(self, array: str, index: int) -> Any:
        """Element ``index`` of ``array``: a fresh parse of its span (the caller owns
        it), or the parsed element itself (:meth:`from_document`: not to be changed)."""
        spans = self._spans.get(array)
        if spans is None:
            return self._parsed[array][index]
        return orjson.loads(memoryview(self.raw)[spans[2 * index]:spans[2 * index + 1]])

    def shots_at(self, refs: Sequence[tuple[str, int]]) -> list[Any]:
        """:meth:`shot` of each ``(array, index)`` of ``refs``: streamed ones parsed in
        one call (their texts joined as one array; each was proven a complete value)."""
        if all(array in self._spans for array, _ in refs):
            view = memoryview(self.raw)
            texts = [view[spans[2 * i]:spans[2 * i + 1]]
                     for spans, i in ((self._spans[array], i) for array, i in refs)]
            shots: list[Any] = orjson.loads(b"[" + b",".join(texts) + b"]")
            return shots
        return [self.shot(array, index) for array, index in refs]

    def shots(self, array: str) -> Iterator[tuple[int, Any]]:
        """``(index, element)`` of ``array``, one at a time."""
        for index in range(self.count(array)):
            yield index, self.shot(array, index)

    def document(self) -> dict[str, Any]:
        """The whole document, every shot parsed (for what needs it all at once:
        reporting schema findings of an invalid project)."""
        doc = dict(self.head)
        for name in self.arrays():
            doc[name] = [shot for _, shot in self.shots(name)]
        return doc

    def without(self, removed: Mapping[str, bytearray]) -> dict[str, Any]:
        """The document without the elements whose index is marked (non-zero) in
        ``removed[array]``: only those that stay are parsed."""
        doc = dict(self.head)
        for name in self.arrays():
            marks = removed.get(name, bytearray(self.count(name)))
            doc[name] = [self.shot(name, i) for i in range(self.count(name)) if not marks[i]]
        return doc


def _exact(piece: bytes) -> tuple[bool, Any]:
    """The strict parser's fast path on one piece: ``(True, value)`` when orjson
    reads it exactly as the strict reading does, else ``(False, None)``."""
    try:
        value = orjson.loads(piece)
    except orjson.JSONDecodeError:
        return False, None
    if not orjson_read_is_exact(piece, value):
        return False, None
    return True, value


def _trim(body: bytes, start: int, end: int) -> tuple[int, int]:
    """``start, end`` moved past leading and before trailing JSON whitespace."""
    while start < end and body[start] in _WS:
        start += 1
    while end > start and body[end - 1] in _WS:
        end -= 1
    return start, end


def _pieces(body: bytes, starts: list[int], close: int) -> Iterator[tuple[int, int]]:
    """The pieces that begin at ``starts`` (each after its newline) and end before
    the next one or ``close``, without surrounding whitespace and their separating
    comma; a piece not followed by exactly one comma (the last: none) ends the
    iteration early (the caller then sees too few pieces)."""
    for n, start in enumerate(starts):
        last = n + 1 == len(starts)
        begin, end = _trim(body, start, starts[n + 1] if not last else close)
        if not last:
            if end <= begin or body[end - 1] != 0x2C:  # ","
                return
            begin, end = _trim(body, begin, end - 1)
        if end <= begin:
            return
        yield begin, end


class _Unproven(Exception):
    """The layout does not prove the split: parse the whole file instead."""


def scan(raw: bytes, visit: Visit | None = None, *, facts: bool = True
         ) -> LegacyProject | None:
    """project.json ``raw`` read piece by piece (see the module doc), or ``None``
    when the split cannot be proven: then parse the whole file strictly instead.

    Accepted documents are exactly those the strict parser reads on its fast path,
    with the same values: an object whose legacy arrays are arrays of objects.
    ``visit`` is handed the legacy shots as they are parsed, a group at a time (the
    caller's one look at whole shots while streaming). When the scan returns ``None`` it may have
    visited some shots: start over from the whole document. Without ``facts`` its
    :attr:`LegacyProject.facts` lists are empty (for a reader that only visits)."""
    try:
        return _scan(raw, visit, facts)
    except _Unproven:
        return None


def _scan(raw: bytes, visit: Visit | None, keep_facts: bool) -> LegacyProject:
    offset = len(BOM) if raw.startswith(BOM) else 0
    begin, end = _trim(raw, offset, len(raw))
    if end - begin < 2 or raw[begin] != 0x7B or raw[end - 1] != 0x7D:  # { }
        raise _Unproven
    close = end - 1
    starts = [m.start() + 1 for m in _MEMBER_START.finditer(raw, begin + 1, close)]
    if not starts or _trim(raw, begin + 1, starts[0] - 1) != (starts[0] - 1, starts[0] - 1):
        raise _Unproven  # something before the first candidate member
    members = list(_pieces(raw, starts, close))
    if len(members) != len(starts):
        raise _Unproven
    head: dict[str, Any] = {}
    spans: dict[str, array[int]] = {}
    facts: dict[str, list[ShotFacts]] = {}
    for start, stop in members:
        key, value_start = _member_key(raw, start, stop)
        if key in head:
            raise _Unproven  # a duplicate key: the strict parser names it
        if key in LEGACY_ARRAYS:
            if raw[value_start] != 0x5B:  # [: anything else is refused, with its error
                raise _Unproven
            head[key] = []
            spans[key], facts[key] = _elements(raw, value_start, stop, visit, key, keep_facts)
            continue
        # Parsed as a one-member document at its own indentation, so that a
        # canonically written member is proven exact by its cheapest case.
        ok, member = _exact(b"{\n  " + raw[start:stop] + b"\n}")
        if not ok or type(member) is not dict or list(member) != [key]:
            raise _Unproven
        head[key] = member[key]
    return LegacyProject(raw, head, spans, {}, facts, True)


def _member_key(raw: bytes, start: int, stop: int) -> tuple[str, int]:
    """The key of the member at ``start`` and where its value starts."""
    literal = _STRING.match(raw, start, stop)
    if literal is None:
        raise _Unproven
    ok, key = _exact(literal.group())
    if not ok or not isinstance(key, str):
        raise _Unproven
    colon, value_start = _trim(raw, literal.end(), stop)
    if colon >= stop or raw[colon] != 0x3A:  # :
        raise _Unproven
    value_start, _ = _trim(raw, colon + 1, stop)
    if value_start >= stop:
        raise _Unproven
    return key, value_start


#: Elements parsed, proven and visited together (amortises the per-call costs).
_BATCH = 512


def _elements(raw: bytes, open_: int, stop: int, visit: Visit | None, name: str,
              keep_facts: bool) -> tuple[array[int], list[ShotFacts]]:
    """The spans and facts of the elements of the array ``name`` from ``open_`` (its
    ``[``) to ``stop`` (just after its ``]``); every element must be an object."""
    if raw[stop - 1] != 0x5D:  # ]
        raise _Unproven
    close = stop - 1
    first, end = _trim(raw, open_ + 1, close)
    if first == end:
        return array("q"), []  # an empty array
    if raw[first] != 0x7B or not raw.startswith(_ELEMENT_START, first - len(_ELEMENT_START) + 1):
        raise _Unproven  # the first element is not an object on its own line
    # Each later element: its predecessor's comma, whitespace, its own line. The
    # comma is outside any string (a string cannot hold the newline after it).
    seps = [(m.start(), m.end() - 1) for m in _NEXT_ELEMENT.finditer(raw, first, close)]
    bounds = list(zip([first, *(after for _, after in seps)],
                      [*(comma for comma, _ in seps), end], strict=True))
    names: dict[Any, Any] = {}
    spans = array("q")
    facts: list[ShotFacts] = []
    for at in range(0, len(bounds), _BATCH):
        group = bounds[at:at + _BATCH]
        shots = _canonical_group(raw, group) or _parsed_group(raw, group)
        if visit is not None:
            visit(name, at, shots)
        spans.extend(chain.from_iterable(group))
        if keep_facts:
            facts.extend([facts_of(shot, names) for shot in shots])
    return spans, facts


def _wrapped(raw: bytes, start: int, end: int) -> bytes:
    """Elements ``raw[start:end]`` (joined by commas and whitespace, the first at its
    ``{``) as the 2-space indented document ``{"shots": [...]}`` holds them: at the
    indentation they have in a canonically written project.json."""
    return b'{\n  "shots": [\n    ' + raw[start:end] + b"\n  ]\n}"


def _canonical_group(raw: bytes, group: list[tuple[int, int]]) -> list[Shot] | None:
    """The elements at ``group``'s spans, parsed in one call, when their text is
    exactly orjson's 2-space rendering of them; else ``None``.

    That rendering puts every element's ``{`` at the start of a line after four
    spaces and everything inside an element deeper, so the candidate spans are the
    elements; and a file that is its parse's rendering was read exactly (the first
    proof of :func:`conformance.jsonio.orjson_read_is_exact`; its third check, of
    strings past the length limit, cannot apply to a text no longer than the limit,
    and a longer group is left to :func:`_parsed_group`)."""
    body = _wrapped(raw, group[0][0], group[-1][1])
    if len(body) > MAX_STRING_CHARS:
        return None
    try:
        doc = orjson.loads(body)
        shots = doc["shots"] if type(doc) is dict else None
        if type(shots) is not list or len(shots) != len(group) or \
                orjson.dumps(doc, option=orjson.OPT_INDENT_2) != body:
            return None
    except (orjson.JSONDecodeError, orjson.JSONEncodeError, KeyError):
        return None
    if any(type(shot) is not dict for shot in shots):
        raise _Unproven
    return shots


def _parsed_group(raw: bytes, group: list[tuple[int, int]]) -> list[Shot]:
    """The elements at ``group``'s spans, each parsed alone (each must be one
    complete object), then proven read exactly together."""
    view = memoryview(raw)
    shots = []
    for start, end in group:
        try:
            shot = orjson.loads(view[start:end])
        except orjson.JSONDecodeError:
            raise _Unproven from None
        if type(shot) is not dict:
            raise _Unproven
        shots.append(shot)
    _prove_exact(raw, group[0][0], group[-1][1], shots)
    return shots


def _prove_exact(raw: bytes, start: int, end: int, batch: list[Shot]) -> None:
    """The elements ``batch``, parsed one by one from ``raw[start:end]`` (elements
    joined by commas and whitespace), are what the strict reading gives: one check
    of the strict parser's fast path on them as one array. Wrapped as a 2-space
    indented document holds them (at the same indentation), so that a canonically
    written file is proven by its cheapest case: one encoding, one comparison."""
    if not orjson_read_is_exact(_wrapped(raw, start, end), {"shots": batch}):
        raise _Unproven
