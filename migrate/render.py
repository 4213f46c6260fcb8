"""Human-readable text for plans and results (the JSON forms are the models' ``to_dict``)."""

from __future__ import annotations

from collections.abc import Sequence

from migrate import model
from migrate.errors import quote
from migrate.runs import HistoryEntry, PruneResult

#: Longest list printed per plan section; ``--format json`` always has everything.
MAX_LINES = 200

_STATE_TEXT = {
    model.LEGACY: "legacy shots to move",
    model.BORN_BROKEN: "born broken by the New Project dialog; --repair splits it",
    model.SEQUENCE_SERVICE: "files written by the app's SequenceService; --repair brings "
                            "them into the canonical layout",
    model.ALREADY_MIGRATED: "already migrated",
    model.NOTHING_TO_DO: "nothing to migrate",
}


def _capped(lines: Sequence[str]) -> list[str]:
    if len(lines) <= MAX_LINES:
        return list(lines)
    return [*lines[:MAX_LINES],
            f"    ... and {len(lines) - MAX_LINES} more (--format json lists all)"]


def counts_sentence(counts: dict[str, int]) -> str:
    """One line: the figures of a plan."""
    split = (f"{counts['split_shots']} shot(s) split out of the id-less file, "
             if counts["split_shots"] else "")
    return (
        split
        + f"{counts['moved_shots']} shot(s) moved, {counts['deduplicated_shots']} deduplicated, "
        f"{counts['replaced_shots']} replaced, {counts['dropped_legacy_copies']} legacy "
        f"copies dropped, {counts['kept_in_project']} kept in project.json; "
        f"{counts['sequence_files_created']} sequence file(s) created, "
        f"{counts['sequence_files_merged']} rewritten"
    )


def plan_text(plan: model.Plan) -> str:
    """The plan as a report: files, split, moves, stays, conflicts, summary."""
    out = [f"Migration plan for {plan.project} ({_STATE_TEXT.get(plan.state, plan.state)})"]
    if plan.record is not None:
        out.append(f"  previously migrated by seqcheck {plan.record.get('tool_version')} at "
                   f"{plan.record.get('migrated_at')}")
    if plan.repair is not None:
        out.append("Repair:")
        out.append(f"  {plan.repair.explanation}")
        for part in plan.repair.parts:
            out.append(f"  {part.file}: id {quote(part.sequence_id)}, name "
                       f"{quote(part.name)}, order {part.order}, {len(part.shot_ids)} shot(s)")
    if plan.steps:
        out.append(f"Files ({len(plan.steps)} step(s), in this order):")
        for step in plan.steps:
            seq = f" sequence {quote(step.sequence_id)}" if step.sequence_id is not None else ""
            noun = "legacy shots" if step.sequence_id is None else "shots"
            out.append(f"  {step.action:<15} {step.path}{seq}: {step.shots_before} -> "
                       f"{step.shots_after} {noun}")
    if plan.moves:
        out.append(f"Shots ({len(plan.moves)}):")
        out.extend(_capped([
            f"  {m.shot_id}: project.json {', '.join(m.sources)} -> {m.target_file} "
            f"[{m.action}]" + (f" ({m.detail})" if m.detail else "")
            for m in plan.moves
        ]))
    if plan.stays:
        out.append(f"Staying in project.json ({len(plan.stays)}):")
        out.extend(_capped([f"  {s.shot_id} at {s.pointer}: {s.reason}" for s in plan.stays]))
    if plan.conflicts:
        out.append(f"Conflicts ({len(plan.conflicts)}):")
        out.extend(_capped([
            f"  {c.message}: project.json {c.legacy_pointer} vs {c.sequence_file} "
            f"{c.sequence_pointer} -> "
            + ("STOP (choose with --on-conflict)" if c.resolution == "stop" else c.resolution)
            for c in plan.conflicts
        ]))
    if plan.service_repairs:
        out.append(f"SequenceService files ({len(plan.service_repairs)} sequence(s)):")
        out.extend(_capped([
            f"  {', '.join(r.files)} -> {r.target_file} [{r.resolution}]: {r.message}"
            + (f"; {len(r.resolved_shots)} shot(s) resolved from project.json"
               if r.resolved_shots else "")
            + (f"; unresolved shot_ids kept: {', '.join(r.unresolved)}" if r.unresolved else "")
            for r in plan.service_repairs
        ]))
    if plan.warnings:
        out.append(f"Warnings ({len(plan.warnings)}):")
        out.extend(_capped([f"  {w.file} at {w.pointer or '/'}: {w.message}"
                            for w in plan.warnings]))
    for note in plan.notes:
        out.append(f"Note: {note}")
    out.append("Summary: " + counts_sentence(plan.counts()))
    if plan.needs_repair:
        what = "born broken" if plan.repair is not None else "files written by SequenceService"
        out.append(f"Blocked: {what}; applying without --repair would stop before any "
                   "write.")
    elif plan.blocked:
        out.append("Blocked: unresolved conflicts or duplicate files; applying would stop "
                   "before any write.")
    return "\n".join(out)


def verify_text(report: model.VerifyReport) -> str:
    """A verification report: OK line, or each problem with its location."""
    if report.ok:
        return (f"Verified {report.project}: {report.checked_shots} original shot(s) each "
                f"present exactly once with identical content; {report.validator}: no "
                "errors.")
    out = [f"Verification of {report.project} FAILED ({len(report.problems)} problem(s)):"]
    for p in report.problems:
        where = f" [{p.file}{' at ' + (p.pointer or '/') if p.pointer is not None else ''}]" \
            if p.file else ""
        out.append(f"  {p.kind}: {p.message}{where}")
    return "\n".join(out)


def apply_text(result: model.ApplyResult) -> str:
    """What an apply did (the verification is rendered separately)."""
    plan = result.plan
    if result.state == model.ALREADY_MIGRATED:
        rec = plan.record or {}
        return (f"{result.project}: already migrated (by seqcheck {rec.get('tool_version')} "
                f"at {rec.get('migrated_at')}); nothing to do, nothing changed.")
    if result.state == model.NOTHING_TO_DO:
        return (f"{result.project}: nothing to migrate (no shot in project.json names a "
                "sequence); nothing changed.")
    how = "Resumed and finished the interrupted migration of" if result.resumed else "Migrated"
    return (f"{how} {result.project}: {counts_sentence(plan.counts())}. "
            f"{result.steps_written} file write(s) this run; originals backed up in "
            f"{result.run_dir}.")


def rollback_text(result: model.RollbackResult) -> str:
    """What a rollback did."""
    text = (f"Rolled back {result.project}: restored {len(result.restored)} file(s) "
            f"({', '.join(result.restored) or 'none needed'}), removed "
            f"{len(result.removed)} created file(s).")
    if result.forced_over:
        text += f" --force overwrote edits in: {', '.join(result.forced_over)}."
    leftovers = [*result.removed_sidecars, *result.removed_temps]
    if leftovers:
        text += f" Removed what the migration had left: {', '.join(leftovers)}."
    if result.run is not None:
        text += (f" Every file was checked against its original hash. Audit record: "
                 f".seqcheck/runs/{result.run:04d}/rollback.json.")
    return text


def history_text(project: object, entries: Sequence[HistoryEntry]) -> str:
    """``--history``: one line per folder of .seqcheck/runs."""
    if not entries:
        return f"{project}: no migration runs in .seqcheck/runs."
    lines = [f"Migration runs of {project}:",
             f"  {'run':<5} {'migrated at':<25} {'status':<18} files"]
    for e in entries:
        files = f"{len(e.files)}: {', '.join(e.files)}" if e.files else "-"
        lines.append(f"  {e.number:04d}  {e.migrated_at or '-':<25} {e.status.value:<18} "
                     f"{files}")
        if e.rolled_back_at:
            lines.append(f"        rolled back at {e.rolled_back_at}")
        if e.problem:
            lines.append(f"        {e.problem}")
    return "\n".join(lines)


def prune_text(result: PruneResult) -> str:
    """``--prune``: which runs went, which stay."""
    if not result.deleted:
        return f"{result.project}: no finished run to prune; nothing was deleted."
    gone = ", ".join(f"{n:04d}" for n in result.deleted)
    kept = ", ".join(f"{n:04d}" for n in result.kept) or "none"
    return f"Pruned {result.project}: deleted run(s) {gone}; kept {kept}."
