"""Every documented bound of seqcheck, one constant each, in one place.

Input past a bound is reported (a validate finding, ``CORRUPT_FILE`` for a file the
store or migrate reads, ``INVALID_UPDATE`` for a value handed to the store), never a
crash; the spec (conformance/SPEC.md, conformance/spec/findings.md) quotes these values.
"""

from __future__ import annotations

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
