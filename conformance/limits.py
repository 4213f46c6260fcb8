"""Every size limit of seqcheck: one constant per limit, in one place.

Each limit is documented in ``conformance/SPEC.md`` with the value below (the file
size under "Layout", "Special files and the size limit"); a test walks each limit
and one past it. Inputs past a limit are
reported (a finding, or a ``SeqcheckError``), never read into memory or crashed on.
"""

from __future__ import annotations

import json
import os

# --- Files ----------------------------------------------------------------------------

#: Largest file, in bytes, that seqcheck reads from a project (project.json, sequence
#: files, run records). A larger file is reported (``CORRUPT_FILE`` / finding SC111)
#: without being read, and a read never returns more than this many bytes even when
#: ``stat`` lies (character devices, files growing while read). 512 MiB keeps the
#: largest real projects seen (a 214 MB project.json) well inside while bounding
#: memory: parsing costs several times the file size. Override per process with the
#: environment variable named by :data:`MAX_FILE_BYTES_ENV`.
MAX_FILE_BYTES = 512 * 1024 * 1024

#: Environment variable that overrides :data:`MAX_FILE_BYTES` (a positive integer,
#: in bytes), e.g. ``SEQCHECK_MAX_FILE_BYTES=2000000000`` for a machine with the
#: memory to parse a 2 GB project.json.
MAX_FILE_BYTES_ENV = "SEQCHECK_MAX_FILE_BYTES"


def max_file_bytes() -> int:
    """The file-size limit in force: :data:`MAX_FILE_BYTES` unless overridden by the
    environment (read on every call, so a test or a long-lived process can change it).

    Raises ``ValueError`` naming the variable when its value is not a positive integer.
    """
    raw = os.environ.get(MAX_FILE_BYTES_ENV)
    if raw is None or raw.strip() == "":
        return MAX_FILE_BYTES
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(
            f"expected {MAX_FILE_BYTES_ENV} to be a positive number of bytes, found "
            f"{json.dumps(raw)}. Unset it to use the default of {MAX_FILE_BYTES} bytes."
        )
    return value


# --- JSON documents (parsing, encoding, update values) ------------------------------

#: Deepest nesting of arrays and objects a document may have: ``[]`` is depth 1, and
#: a sequence file's shot object is at depth 3. The same bound as orjson's parser;
#: every reader, writer and the update check of seqcheck honours exactly this value.
MAX_DEPTH = 1024

#: Most decimal digits an integer literal may have (sign not counted). Python's own
#: int/str conversion limit (``sys.get_int_max_str_digits()`` default): beyond it no
#: Python reader can parse or write the number, whatever the process's setting.
MAX_INT_DIGITS = 4300

#: Longest string (in characters, after unescaping; keys included) a document may
#: hold. Far above any real field (prompts, notes, paths) while bounding what one
#: value can cost a reader.
MAX_STRING_CHARS = 16 * 1024 * 1024

#: Most findings of one code ``seqcheck validate`` lists per file by default; the rest
#: are summed up in one finding of that code ("+N more"). ``--verbose`` lists them all.
MAX_FINDINGS_PER_FILE = 100
