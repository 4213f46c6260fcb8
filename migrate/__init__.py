"""``seqcheck migrate`` as a library: move legacy project.json shots into sequence files.

>>> from migrate import Options, plan, apply, verify, rollback   # doctest: +SKIP
>>> p = plan("my-project")                  # read-only; p.to_dict() is the JSON plan
>>> result = apply("my-project")            # backup, journal, atomic writes; resumable
>>> verify("my-project").ok                 # every shot once, unchanged, project valid
>>> rollback("my-project")                  # originals back, byte for byte

Every failure is a :class:`conformance.errors.SeqcheckError`; the migrator's own
kinds are :class:`MigrateError` with a :class:`MigrateCode`. The formats (migration
record, ``.seqcheck/`` folder, journal, exit codes) are documented in
``conformance/spec/migration.md``.
"""

from migrate.apply import apply
from migrate.batch import BatchRow, discover, run_batch
from migrate.errors import MigrateCode, MigrateError
from migrate.exit_status import exit_code_for
from migrate.model import ApplyResult, Options, Plan, RollbackResult, VerifyReport
from migrate.planning import plan
from migrate.rollback import rollback
from migrate.verify import verify

__all__ = [
    "ApplyResult",
    "BatchRow",
    "MigrateCode",
    "MigrateError",
    "Options",
    "Plan",
    "RollbackResult",
    "VerifyReport",
    "apply",
    "discover",
    "exit_code_for",
    "plan",
    "rollback",
    "run_batch",
    "verify",
]
