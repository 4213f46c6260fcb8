"""Fuzzing the JSON engine's three readers: validate, the migrate plan and the store.

Arbitrary bytes, JSON mutated byte by byte, documents at and around the limits of
conformance/limits.py, and whole folder trees (odd names, folders where files should
be, non-UTF-8 names) go in. What must come out: a report or a ``SeqcheckError`` with a
spec code, never another exception; within the test's timeout; with memory a small
multiple of the input (peak RSS of a child process). Every report must render in
every output format as UTF-8 (what ``-o`` and ``--format sarif`` write).

The default run keeps a short budget; ``pytest -m slow tests/fuzz`` runs the long one
(hypothesis) with the same properties.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import dump_bytes, parse_bytes
from conformance.limits import MAX_DEPTH
from conformance.reference.store import ReferenceStore
from conformance.validate import validate_project
from conformance.validate.finding import FileRef
from conformance.validate.parsing import parse
from conformance.validate.reporters import REPORTERS, RenderOptions, render
from migrate import plan

SHORT = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
LONG = settings(
    max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
REF = FileRef(Path("p"), "sequences/sequence_001.json")
#: What readers may raise: the codes of a bad file (IO_ERROR for unreadable entries).
READ_CODES = {
    ErrorCode.CORRUPT_FILE, ErrorCode.IO_ERROR, ErrorCode.INVALID_ID,
    ErrorCode.DUPLICATE_SEQUENCE_ID, ErrorCode.PROJECT_NOT_FOUND, ErrorCode.SCHEMA_VIOLATION,
}

# -- strategies --------------------------------------------------------------------

keys = st.text(max_size=8) | st.sampled_from(["id", "shots", "sequencePlanId", "sequence_id"])
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63 - 2, max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
    st.sampled_from(["001", "002", "", "a/b", "..", "😀"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)
shots = st.fixed_dictionaries(
    {"id": st.text(max_size=6) | st.sampled_from(["s1", "s2"])},
    optional={
        "sequencePlanId": st.sampled_from(["001", "002", "x"]) | st.text(max_size=4),
        "sequence_id": st.sampled_from(["001", "002"]),
        "number": st.integers(-2, 3),
        "x": values,
    },
)
sequence_docs = st.fixed_dictionaries(
    {"id": st.sampled_from(["001", "002", "1"]) | st.text(max_size=4),
     "shots": st.lists(shots, max_size=4)},
    optional={"order": st.integers(-1, 3), "x": values},
)
project_docs = st.fixed_dictionaries(
    {"schema_version": st.just("1.0"), "project_name": st.text(max_size=5)},
    optional={"shots": st.lists(shots, max_size=4), "storyboard": st.lists(shots, max_size=2)},
)


@st.composite
def mutated(draw: st.DrawFn, docs: st.SearchStrategy[Any]) -> bytes:
    """A document's JSON text with a few byte-level edits (or none)."""
    data = bytearray(
        json.dumps(draw(docs), indent=draw(st.sampled_from([None, 2])),
                   ensure_ascii=draw(st.booleans())).encode()
    )
    for _ in range(draw(st.integers(0, 3))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        edit = draw(st.sampled_from(["flip", "drop", "insert", "dup"]))
        if edit == "flip":
            data[at] = draw(st.integers(0, 255))
        elif edit == "drop":
            del data[at]
        elif edit == "insert":
            data[at:at] = draw(st.sampled_from(
                [b"{", b"[", b'"', b"\\", b",", b":", b"NaN", b"\\ud800", b"1e999", b"\xff",
                 b"9" * 25, b"\xef\xbb\xbf", b'"id": 1,']
            ))
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 40))]
    return bytes(data)


def _nested(levels: int, inner: str = "1") -> bytes:
    return ("[" * levels + inner + "]" * levels).encode()


edge_files = st.one_of(
    st.builds(lambda n: b'{"id": "001", "shots": [], "x": ' + _nested(n) + b"}",
              st.integers(MAX_DEPTH - 4, MAX_DEPTH + 2)),
    st.builds(lambda n: b'{"id": "001", "shots": [], "x": ' + _nested(n, "NaN") + b"}",
              st.sampled_from([300, MAX_DEPTH - 2, MAX_DEPTH + 5])),
    st.builds(lambda d: b'{"id": "001", "shots": [{"id": "a", "n": ' + b"7" * d + b"}]}",
              st.integers(4295, 4305) | st.integers(15, 25)),
    st.builds(lambda n: b'{"id": "001", "shots": [' + b'{"id": "a", "id": "a"},' * n
              + b"{}]}", st.integers(0, 300)),
)
file_bytes = st.one_of(st.binary(max_size=300), mutated(sequence_docs), edge_files)
project_bytes = st.one_of(st.binary(max_size=200), mutated(project_docs))

entry_names = st.one_of(
    st.sampled_from(["sequence_001.json", "sequence_002.json", "sequence_0001.json",
                     "sequence_1.json", ".sequence_001.json.lock", "notes.txt",
                     ".sequence_001.json.ab12.tmp"]),
    st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\0" not in b
                                              and b not in (b".", b"..")),
)
trees = st.dictionaries(
    entry_names,
    st.one_of(file_bytes, st.just(None)),  # None: a folder instead of a file
    max_size=5,
)


# -- helpers ---------------------------------------------------------------------


@contextmanager
def project(project_json: bytes | None, entries: dict[Any, bytes | None]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="seqcheck-fuzz-") as tmp:
        root = Path(tmp) / "p"
        (root / "sequences").mkdir(parents=True)
        if project_json is not None:
            (root / "project.json").write_bytes(project_json)
        for name, content in entries.items():
            # A bytes name becomes the str os.fsdecode gives (undecodable bytes as
            # lone surrogates), as every directory listing will show it.
            path = root / "sequences" / (os.fsdecode(name) if isinstance(name, bytes) else name)
            if content is None:
                path.mkdir()
            else:
                path.write_bytes(content)
        yield root


def _all_formats_encode(reports: list[Any]) -> None:
    for fmt in REPORTERS:
        for verbose in (False, True):
            text = render(fmt, reports, RenderOptions(base=Path("/"), verbose=verbose))
            text.encode("utf-8")  # what -o writes; a lone surrogate would raise


def _read_all(root: Path) -> None:
    """validate (and render), migrate plan, store: reports or spec errors only."""
    try:
        report = validate_project(root)
    except SeqcheckError as exc:  # neither project.json nor a sequence file
        assert exc.code is ErrorCode.PROJECT_NOT_FOUND
        return
    for f in report.findings:
        assert f.code.startswith("SC") and f.message
    _all_formats_encode([report])
    try:
        plan(root)
    except SeqcheckError as exc:  # MigrateError included (its migrate_code says more)
        assert exc.code is not ErrorCode.INTERNAL_ERROR, exc
    try:
        ReferenceStore(root).get_all_sequences()
    except SeqcheckError as exc:
        assert exc.code in READ_CODES, exc


def _bytes_properties(raw: bytes) -> None:
    parsed = parse(raw, REF)
    assert parsed.usable or parsed.findings
    for f in parsed.findings:
        assert f.code.startswith("SC1")
    try:
        doc = parse_bytes(raw, file="f.json")
    except SeqcheckError as exc:
        assert exc.code is ErrorCode.CORRUPT_FILE
        assert not parsed.usable or any(f.severity.value == "error" for f in parsed.findings)
    else:
        # What the strict reader accepts, the validator reads the same and
        # the canonical writer can write back.
        assert parsed.usable
        assert dump_bytes(doc) == dump_bytes(parsed.doc)


# -- the tests -------------------------------------------------------------------


@pytest.mark.timeout(120)
@SHORT
@given(raw=file_bytes)
def test_bytes_into_both_parsers(raw: bytes) -> None:
    _bytes_properties(raw)


@pytest.mark.timeout(120)
@SHORT
@given(project_json=st.none() | project_bytes, entries=trees)
def test_trees_into_validate_migrate_and_store(
    project_json: bytes | None, entries: dict[Any, bytes | None]
) -> None:
    with project(project_json, entries) as root:
        _read_all(root)


_MEASURE = """
import resource, sys
from conformance.errors import SeqcheckError
from conformance.reference.store import ReferenceStore
from conformance.validate import validate_project
from migrate import plan
root = sys.argv[1]
validate_project(root)
for read in (lambda: plan(root), lambda: ReferenceStore(root).get_all_sequences()):
    try:
        read()
    except SeqcheckError:
        pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def _peak_rss(root: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(root)],
        capture_output=True, text=True, check=True, timeout=120,
    )
    return int(out.stdout.split()[-1])


@pytest.mark.timeout(300)
def test_memory_is_a_small_multiple_of_the_input() -> None:
    """Hostile shapes of ~1 MB each through validate, migrate plan and the store, in a
    child process: peak RSS within 100x the input above that of an empty project (a
    parsed JSON document costs ~10-30x its text in Python objects; 40k duplicate
    keys, each also a duplicate shot id, make 80k findings before the listing cap:
    ~70x)."""
    head = b'{"schema_version": "1.0", "project_name": "m"}'
    with project(head, {}) as root:
        (root / "sequences" / "sequence_001.json").write_bytes(b'{"id": "001", "shots": []}')
        baseline = _peak_rss(root)
    cases = {
        "deep": b'{"id": "001", "shots": [], "x": ' + _nested(MAX_DEPTH + 1) * 1000 + b"}",
        "duplicates": b'{"id": "001", "shots": [' + b'{"id": "a", "id": "a"},' * 40_000
        + b"{}]}",
        "bad-shots": b'{"id": "001", "shots": [' + b'{"id": 1},' * 100_000 + b"{}]}",
        "garbage": bytes(range(256)) * 4000,
        "big-ints": b'{"id": "001", "shots": [], "x": [' + b"9" * 4301 + b"]}",
    }
    for name, raw in cases.items():
        with project(head, {"sequence_001.json": raw}) as root:
            peak = _peak_rss(root)
        # 32 MB: modules imported only on findings (jsonschema, referencing).
        assert peak - baseline <= 100 * len(raw) + 32 * 2**20, (name, peak, baseline, len(raw))


@pytest.mark.slow
@pytest.mark.timeout(3600)
@LONG
@given(raw=file_bytes)
def test_bytes_into_both_parsers_long(raw: bytes) -> None:
    _bytes_properties(raw)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@LONG
@given(project_json=st.none() | project_bytes, entries=trees)
def test_trees_into_validate_migrate_and_store_long(
    project_json: bytes | None, entries: dict[Any, bytes | None]
) -> None:
    with project(project_json, entries) as root:
        _read_all(root)
