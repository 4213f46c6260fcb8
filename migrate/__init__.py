"""``seqcheck migrate`` as a library: move legacy project.json shots into sequence files.

>>> from migrate import Options, plan, apply, verify, rollback   # doctest: +SKIP
>>> p = plan("my-project")                  # read-only; p.to_dict() is the JSON plan
>>> result = apply("my-project")            # backup, journal, atomic writes; resumable
>>> verify("my-project").ok                 # every shot once, unchanged, project valid
>>> rollback("my-project")                  # originals back, byte for byte
>>> [e.status for e in history("my-project")]  # the runs in .seqcheck/runs
>>> prune("my-project", keep=1)             # delete all but the newest finished run

Every failure is a :class:`conformance.errors.SeqcheckError`; the migrator's own
kinds are :class:`MigrateError` with a :class:`MigrateCode`. The formats (migration
record, ``.seqcheck/`` folder, journal, exit codes) are documented in
``conformance/spec/migration.md``; the run records and the ``--format json`` output
have JSON Schemas (``schemas/migration-run-*.schema.json``,
``schemas/migration-output.schema.json``).
"""

from migrate.apply import apply
from migrate.batch import BatchRow, discover, run_batch
from migrate.errors import MigrateCode, MigrateError, exit_code_for
from migrate.model import ApplyResult, Options, Plan, RollbackResult, VerifyReport
from migrate.plan import plan
from migrate.rollback import rollback
from migrate.runs import HistoryEntry, PruneResult, history, prune
from migrate.verify import verify

__all__ = [
    "ApplyResult",
    "BatchRow",
    "HistoryEntry",
    "MigrateCode",
    "MigrateError",
    "Options",
    "Plan",
    "PruneResult",
    "RollbackResult",
    "VerifyReport",
    "apply",
    "discover",
    "exit_code_for",
    "history",
    "plan",
    "prune",
    "rollback",
    "run_batch",
    "verify",
]
