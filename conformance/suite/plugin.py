"""The pytest plugin of the conformance suite (entry point ``pytest11: seqcheck``).

Inert unless ``--seqcheck-impl`` or ``--seqcheck-adapter`` is given: it then opens the
implementation, collects the suite's own test modules (when no path is given on the
command line), gates capability tests, classifies outcomes and, with
``--seqcheck-results FILE``, writes them for ``seqcheck certify``. Without those
options it only keeps pytest from collecting the suite modules by accident.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from conformance import requirements
from conformance.suite import CASES_DIR
from conformance.suite.profiles import PROFILES
from conformance.suite.session import (
    FULL_MARKER,
    MARKER,
    STATE_KEY,
    requirement_ids,
    suite_state,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seqcheck", "seqcheck conformance suite")
    group.addoption(
        "--seqcheck-impl", metavar="IMPL", default=None,
        help="certify a Python implementation: 'reference' or 'module:factory' "
        "(factory(project_dir) returns an object with the reference store's methods)",
    )
    group.addoption(
        "--seqcheck-adapter", metavar="CMD", default=None,
        help="certify any implementation through adapter protocol v1: the command "
        "(shell-style quoting) that starts its stdio adapter",
    )
    group.addoption(
        "--seqcheck-depth", choices=sorted(PROFILES), default=None,
        help="quick (default) or full: the full profile runs every kill point, 3x100 "
        "concurrent cycles on a 1 MB file and longer state-machine runs",
    )
    group.addoption(
        "--seqcheck-results", metavar="FILE", default=None,
        help="write per-test outcomes as JSON (read by 'seqcheck certify')",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*ids): seqcheck requirement IDs (conformance.requirements) a test proves",
    )
    config.addinivalue_line(
        "markers", f"{FULL_MARKER}: a suite test run only with --seqcheck-depth full"
    )
    impl = config.getoption("seqcheck_impl")
    adapter = config.getoption("seqcheck_adapter")
    extra = [
        name for name in ("seqcheck_depth", "seqcheck_results") if config.getoption(name)
    ]
    if impl is None and adapter is None:
        if extra:
            raise pytest.UsageError(
                "seqcheck: --seqcheck-depth/--seqcheck-results need an implementation: "
                "add --seqcheck-impl IMPL or --seqcheck-adapter CMD."
            )
        return
    if impl is not None and adapter is not None:
        raise pytest.UsageError(
            "seqcheck: give either --seqcheck-impl or --seqcheck-adapter, not both."
        )
    from conformance.suite.state import SuiteState
    from conformance.target import Target

    depth = config.getoption("seqcheck_depth") or "quick"
    config.stash[STATE_KEY] = SuiteState(Target(impl, adapter), PROFILES[depth])
    config.pluginmanager.register(
        importlib.import_module("conformance.suite.fixtures"), "seqcheck-fixtures"
    )
    # Run the suite itself unless the user named test paths explicitly.
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [str(CASES_DIR)]


def _in_cases(path: Path) -> bool:
    try:
        path.resolve().relative_to(CASES_DIR)
    except ValueError:
        return False
    return True


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # Without a target the suite's modules have nothing to test: never collect them.
    if suite_state(config) is None and _in_cases(collection_path):
        return True
    return None


def _tag_problems(item: pytest.Item) -> list[str]:
    ids = requirement_ids(item)
    if not ids:
        return ["has no @pytest.mark.requirement(...)"] if _in_cases(item.path) else []
    unknown = [i for i in ids if i not in requirements.BY_ID]
    if unknown:
        return [f"unknown requirement id(s) {', '.join(unknown)} (see conformance.requirements)"]
    capabilities = {requirements.BY_ID[i].capability for i in ids}
    if len(capabilities) > 1:
        return ["mixes requirements of different capabilities (split the test)"]
    return []


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = suite_state(config)
    if state is None:
        return
    problems = [f"{item.nodeid}: {p}" for item in items for p in _tag_problems(item)]
    if problems:
        raise pytest.UsageError(
            "seqcheck: badly tagged suite tests:\n  " + "\n  ".join(problems)
        )
    if state.profile.name != "full":
        deep = [item for item in items if item.get_closest_marker(FULL_MARKER) is not None]
        if deep:
            config.hook.pytest_deselected(items=deep)
            items[:] = [item for item in items if item.get_closest_marker(FULL_MARKER) is None]


def pytest_runtest_setup(item: pytest.Item) -> None:
    state = suite_state(item.config)
    if state is None:
        return
    ids = requirement_ids(item)
    gated = {
        cap for i in ids if i in requirements.BY_ID
        for cap in (requirements.BY_ID[i].capability,) if cap is not None
    }
    if not gated:
        return
    declared = state.capabilities()
    if declared is None:
        return  # the implementation does not start: the fixture reports the error
    for capability in gated:
        if capability.value not in declared:
            from conformance.suite.results import NOT_CLAIMED_PREFIX

            pytest.skip(
                f"{NOT_CLAIMED_PREFIX}the implementation does not declare capability "
                f"'{capability.value}' in hello"
            )


@pytest.hookimpl(hookwrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Any:
    if suite_state(pyfuncitem.config) is None:
        yield
        return
    from conformance.suite.checks import (
        Inconclusive,
        RequirementFailure,
        RequirementFailures,
        take_deferred,
    )

    take_deferred()  # nothing left over from another test
    outcome = yield
    deferred = take_deferred()
    if not deferred:
        return
    raised = outcome.exception
    if isinstance(raised, Inconclusive):
        # The soft failures stand; the test's own requirement was not reached.
        outcome.force_exception(RequirementFailures(deferred, completed=False))
        return
    if raised is not None and not isinstance(raised, RequirementFailure):
        return  # an adapter fault or a plain failure decides the outcome
    outcome.force_exception(RequirementFailures(
        [*deferred, *([raised] if raised is not None else [])], completed=raised is None
    ))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    state = suite_state(item.config)
    if state is None:
        return
    from conformance.suite.classify import classify

    report = outcome.get_result()
    ids = requirement_ids(item)
    result = classify(report, call, ids)
    state.recorder.phase(
        item.nodeid, ids, report.when, result.outcome, result.reason, result.failed,
        report.duration, result.proven, result.failures,
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = suite_state(session.config)
    if state is None:
        return
    state.close()
    path = session.config.getoption("seqcheck_results")
    if path:
        state.recorder.write(Path(path), state.header())


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = suite_state(config)
    if state is None or not state.recorder.records:
        return
    import time

    from conformance.certify.model import build_report
    from conformance.certify.render_text import render_table

    report = build_report(
        state.recorder.to_document(state.header()),
        duration_seconds=time.monotonic() - state.started,
    )
    terminalreporter.write_sep("=", "seqcheck requirements")
    terminalreporter.write(render_table(report, color=False) + "\n")


# Kept importable from here: the plugin module is public API (pytest11 entry point).
__all__ = ["FULL_MARKER", "MARKER", "requirement_ids", "suite_state"]
