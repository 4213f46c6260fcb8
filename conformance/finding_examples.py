"""A minimal project showing each finding code, for ``seqcheck explain``.

Each example lists only the files that differ from :data:`BASE_FILES` (a valid
one-sequence project). A test builds every example on disk and requires the
validator to report exactly the code it illustrates, so an example cannot drift
from what seqcheck really says.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Folder:
    """A folder at this path."""


@dataclass(frozen=True)
class Link:
    """A symbolic link at this path, pointing to ``target`` (relative to the link's
    folder; the example's project folder sits in a folder of its own)."""

    target: str


@dataclass(frozen=True)
class Fifo:
    """A named pipe (FIFO) at this path: what a reader must never open for data."""


@dataclass(frozen=True)
class Sparse:
    """A file of ``size`` bytes that takes no disk space (a hole), to show the size
    limit without writing half a gigabyte."""

    size: int


#: What an example file is: text, raw bytes, a folder, a link, a FIFO, a sparse file,
#: or None (absent).
Content = str | bytes | Folder | Link | Fifo | Sparse | None

_SHOT = (
    '{"id": "shot-1", "sequencePlanId": "001", '
    '"timing": {"duration": 5, "inPoint": 0, "outPoint": 5}}'
)


def _seq(shots: str = _SHOT, extra: str = "") -> str:
    return f'{{"id": "001", "order": 1, "duration": 5,{extra} "shots": [{shots}]}}\n'


BASE_FILES: dict[str, Content] = {
    "project.json": '{"schema_version": "1.0", "project_name": "Demo"}\n',
    "sequences/sequence_001.json": _seq(),
}

_SHOT2 = _SHOT.replace("shot-1", "shot-2")


@dataclass(frozen=True)
class FindingExample:
    """Files that make a project show one finding, and what to notice in them."""

    files: dict[str, Content]
    note: str
    #: Files shown differently from their content (huge or binary ones).
    shown: dict[str, str] = field(default_factory=dict)
    #: Codes that always come with this one on such a file (a template has no
    #: top-level project_name, so SC319 comes with SC201).
    companions: tuple[str, ...] = ()


EXAMPLES: dict[str, FindingExample] = {
    "SC101": FindingExample(
        {"sequences/sequence_001.json": Folder()},
        "sequences/sequence_001.json is a folder, so it cannot be read as a file.",
    ),
    "SC102": FindingExample(
        {"sequences/sequence_001.json": b'{"id": "001", "name": "Caf\xe9", "shots": []}\n'},
        "The byte E9 alone is Latin-1 for 'e acute', not UTF-8 (which is C3 A9).",
        {"sequences/sequence_001.json": '{"id": "001", "name": "Caf<byte E9>", "shots": []}'},
    ),
    "SC103": FindingExample(
        {"sequences/sequence_001.json": b"\xef\xbb\xbf" + _seq().encode()},
        "The file starts with the bytes EF BB BF (a byte-order mark).",
        {"sequences/sequence_001.json": "<EF BB BF>" + _seq()},
    ),
    "SC104": FindingExample(
        {"sequences/sequence_001.json": '{"id": "001", "shots": [],}\n'},
        "A trailing comma before '}' is not JSON.",
    ),
    "SC105": FindingExample(
        {"sequences/sequence_001.json": '{"id": "001", "name": "A", "name": "B", "shots": []}\n'},
        "'name' appears twice: one reader shows \"A\", another \"B\".",
    ),
    "SC106": FindingExample(
        {"sequences/sequence_001.json": '{"id": "001", "duration": NaN, "shots": []}\n'},
        "NaN is a JavaScript value, not a JSON number.",
    ),
    "SC107": FindingExample(
        {"sequences/sequence_001.json": '{"id": "001", "shots": [], "x": '
         + "[" * 1100 + "]" * 1100 + "}\n"},
        "The arrays nest 1100 levels deep; the bound is 1024.",
        {"sequences/sequence_001.json": '{"id": "001", "shots": [], "x": [[[[ ... 1100 levels '
         "... ]]]]}"},
    ),
    "SC108": FindingExample(
        {"sequences/sequence_001.json": "[]\n"},
        "The file holds an array; a sequence file holds one object.",
    ),
    "SC109": FindingExample(
        {"sequences/sequence_001.json": '{"id": "001", "name": "\\ud800", "shots": []}\n'},
        "\\ud800 is half of a UTF-16 surrogate pair, with no second half.",
    ),
    "SC110": FindingExample(
        {"sequences/sequence_002.json": Fifo()},
        "sequence_002.json is a named pipe (FIFO): reading it would wait forever for a "
        "writer, so it is reported and never opened for data.",
        {"sequences/sequence_002.json": "(a FIFO, made with mkfifo)"},
    ),
    "SC111": FindingExample(
        {"sequences/sequence_002.json": Sparse(512 * 1024 * 1024 + 1)},
        "sequence_002.json claims 512 MiB and one byte, over the file-size limit; it is "
        "reported without being read.",
        {"sequences/sequence_002.json": "(512 MiB + 1 byte, made with truncate)"},
    ),
    "SC115": FindingExample(
        {"sequences/sequence_001.json": _seq(extra=' "frames": ' + "9" * 4301 + ",")},
        "The integer has 4301 digits; Python readers stop at 4300.",
        {"sequences/sequence_001.json": _seq(extra=' "frames": 9999...9999 (4301 digits),')},
    ),
    "SC116": FindingExample(
        {"sequences/sequence_001.json": _seq(extra=' "notes": "' + "x" * (16 * 1024 * 1024 + 1)
                                             + '",')},
        "The string holds 16 MiB and one character, over the string-size limit.",
        {"sequences/sequence_001.json": _seq(extra=' "notes": "xxxx...xxxx" (16777217 '
                                             "characters),")},
    ),
    "SC201": FindingExample(
        {"sequences/sequence_001.json": _seq(_SHOT.replace('"duration": 5', '"duration": "5s"'))},
        "timing.duration must be a number, not the string \"5s\".",
    ),
    "SC202": FindingExample(
        {"sequences/sequence_001.json": '{"name": "Sequence 1", "shots": []}\n'},
        "No 'id': the New Project dialog writes files like this.",
    ),
    "SC301": FindingExample(
        {"project.json": None},
        "sequences/ holds a sequence file but project.json is missing.",
    ),
    "SC302": FindingExample(
        {
            "sequences/sequence_001.json": _seq().replace('"001"', '"intro"'),
            "sequences/sequence_002.json": _seq(_SHOT2)
            .replace('"001"', '"intro"')
            .replace('"order": 1', '"order": 2'),
        },
        "sequence_001.json and sequence_002.json both hold the sequence \"intro\".",
    ),
    "SC303": FindingExample(
        {"sequences/sequence_001.json": _seq(f"{_SHOT}, {_SHOT}").replace(
            '"duration": 5,', '"duration": 10,', 1)},
        "Two shots of the sequence have the id \"shot-1\".",
    ),
    "SC304": FindingExample(
        {"sequences/sequence_001.json": _seq(_SHOT.replace('"sequencePlanId": "001"',
                                                           '"sequencePlanId": "002"'))},
        "The shot lives in sequence \"001\" but its sequencePlanId says \"002\".",
    ),
    "SC305": FindingExample(
        {"project.json": '{"schema_version": "1.0", "project_name": "Demo", "shots": ['
         + _SHOT.replace('"duration": 5, "inPoint": 0, "outPoint": 5',
                         '"duration": 3, "inPoint": 0, "outPoint": 3') + "]}\n"},
        "shot-1 is in project.json and in sequence_001.json, with different timings.",
    ),
    "SC306": FindingExample(
        {"project.json": '{"schema_version": "1.0", "project_name": "Demo", "shots": ['
         + _SHOT + "]}\n"},
        "shot-1 is in project.json and in sequence_001.json, identical.",
    ),
    "SC307": FindingExample(
        {"project.json": '{"schema_version": "1.0", "project_name": "Demo", "shots": ['
         + _SHOT2 + "]}\n"},
        "shot-2 names sequence \"001\" but only project.json holds it.",
    ),
    "SC308": FindingExample(
        {"sequences/sequence_001.json": None, "sequences/sequence_007.json": _seq()},
        "sequence_007.json holds the sequence \"001\".",
    ),
    "SC309": FindingExample(
        {"sequences/sequence_002.json": _seq(_SHOT2.replace('"001"', '"002"')).replace(
            '"id": "001"', '"id": "002"')},
        "Both sequences have \"order\": 1.",
    ),
    "SC310": FindingExample(
        {"sequences/sequence_001.json": _seq(_SHOT.replace('"inPoint": 0, "outPoint": 5',
                                                           '"inPoint": 5, "outPoint": 0'))},
        "outPoint 0 comes before inPoint 5.",
    ),
    "SC311": FindingExample(
        {"sequences/sequence_001.json": _seq(_SHOT.replace('"outPoint": 5', '"outPoint": 4'))},
        "duration 5, but outPoint - inPoint is 4.",
    ),
    "SC312": FindingExample(
        {"sequences/sequence_001.json": _seq().replace('"duration": 5,', '"duration": 9,', 1)},
        "The sequence says 9 seconds; its one shot lasts 5.",
    ),
    "SC313": FindingExample(
        {"sequences/sequence_001.json.bak": _seq()},
        "A backup copy left in sequences/; the app would load it as a second sequence.",
    ),
    "SC314": FindingExample(
        {"sequences/sequence_001.json": None, "sequences": "not a folder\n"},
        "'sequences' is a file.",
    ),
    "SC315": FindingExample(
        {"sequences/sequence_002.json": Link("../../outside.json")},
        "sequence_002.json is a link to a file outside the project folder.",
        {"sequences/sequence_002.json": "-> ../../outside.json (a symbolic link)"},
    ),
    "SC316": FindingExample(
        {
            "project.json": '{"schema_version": "1.0", "project_name": "Demo", "shots": '
            '[{"id": "s-1", "title": "Shot", "duration": 5}]}\n',
            "sequences/sequence_001.json": '{"id": "001", "name": "Sequence 1", "order": 1, '
            '"duration": 5, "shots_count": 1, "resume": "", "shot_ids": ["s-1"]}\n',
        },
        "The file names its shots in shot_ids (the app's SequenceService shape) and has "
        "no shots array.",
    ),
    "SC317": FindingExample(
        {
            "sequences/sequence_001.json": None,
            "sequences/sequence_3f2b8c1e.json": _seq(
                _SHOT.replace('"001"', '"3f2b8c1e-9d4a-4b6e-8f1a-2c3d4e5f6a7b"')
                , extra=' "shot_ids": ["shot-1"],'
            ).replace('"id": "001"', '"id": "3f2b8c1e-9d4a-4b6e-8f1a-2c3d4e5f6a7b"'),
        },
        "The file is named after the first 8 characters of its id, as SequenceService "
        "names files, not sequence_NNN.json.",
    ),
    "SC318": FindingExample(
        {"sequences/sequence_001.json": _seq(extra=' "shot_ids": ["shot-1", "gone"],')},
        "shot_ids names \"gone\", which no shot of the file has.",
    ),
    "SC319": FindingExample(
        {
            "project.json": '{"project": {"schema_version": "1.0", "project_name": "Demo"}}\n',
            "sequences/sequence_001.json": None,
        },
        "Everything sits under a 'project' key: a project template, not a project "
        "(the schema also reports the missing top-level keys, SC201).",
        companions=("SC201",),
    ),
    "SC320": FindingExample(
        {"project.json": '{"schema_version": "1.0", "project_name": "Demo", "sequences": '
         '[{"id": "seq_1", "shots": [{"id": "shot_9", "duration": 7.5}]}]}\n'},
        "project.json embeds a sequence with its own shots (the assistant's save_project).",
    ),
}

#: Codes whose rule is no requirement of the spec: why they matter, said here.
WHY_WITHOUT_REQUIREMENT: dict[str, str] = {
    "SC318": "A reference that names no shot is a shot the user expects to see in the "
    "sequence and will not: it was deleted, or it lives in a file nobody reads.",
    "SC319": "The app cannot open a template as a project: its shots and sequences "
    "are invisible until a project is created from it.",
    "SC320": "The editor reads shots from sequence files and project.json's shot "
    "arrays only; sequences embedded elsewhere are shown by no screen of the app.",
    "SC310": "A shot that ends before it starts has no length: an editor or renderer "
    "reading it computes a negative duration or skips the shot.",
    "SC311": "Tools disagree on which of the two to trust: one plays timing.duration "
    "seconds, another plays outPoint - inPoint.",
    "SC312": "The timeline shows the sequence's own duration, while playback adds up "
    "the shots: the two disagree on where the next sequence starts.",
}
