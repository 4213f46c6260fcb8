"""SC303 across files: each repeated shot id is reported once per repeat, naming
where the id was first seen, whatever mix of new ids, repeats and shots without an
id the files hold. ProjectRules keeps a set while no id repeats and switches to
first-seen positions at the first repeat; the model here is the rule itself."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from conformance.validate.project_rules import ProjectRules, SequenceFacts

shot_ids = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e"])), max_size=5)


def _name(n: int) -> str:
    return f"sequences/sequence_{n + 1:03d}.json"


def _expected(files: list[list[str | None]]) -> list[tuple[str, str, str]]:
    first: dict[str, tuple[str, int]] = {}
    out = []
    for n, ids in enumerate(files):
        for index, shot_id in enumerate(ids):
            if shot_id is None:
                continue
            if shot_id in first:
                where, at = first[shot_id]
                out.append((
                    _name(n), f"/shots/{index}/id",
                    f"expected unique shot ids, found {shot_id!r} here and in {where} "
                    f"at /shots/{at}.",
                ))
            else:
                first[shot_id] = (_name(n), index)
    return out


@given(st.lists(shot_ids, max_size=7))
def test_every_repeat_names_where_the_id_was_first_seen(
    files: list[list[str | None]],
) -> None:
    rules = ProjectRules(Path("p"))
    got = []
    for n, ids in enumerate(files):
        findings = rules.merge(SequenceFacts(file=_name(n), shot_ids=list(ids)))
        assert {f.code for f in findings} <= {"SC303"}
        got += [(f.file, f.pointer, f.message) for f in findings]
    assert got == _expected(files)


def test_a_repeat_after_many_new_ids_names_the_first_file() -> None:
    rules = ProjectRules(Path("p"))
    assert rules.merge(SequenceFacts(file=_name(0), shot_ids=["a", None, "b"])) == []
    assert rules.merge(SequenceFacts(file=_name(1), shot_ids=["c"])) == []
    (repeat,) = rules.merge(SequenceFacts(file=_name(2), shot_ids=["d", "b"]))
    assert (repeat.file, repeat.pointer) == (_name(2), "/shots/1/id")
    assert repeat.message.endswith(f"here and in {_name(0)} at /shots/2.")
    # After the first repeat: still every repeat, still the first place.
    (again,) = rules.merge(SequenceFacts(file=_name(3), shot_ids=["d"]))
    assert again.message.endswith(f"here and in {_name(2)} at /shots/0.")
