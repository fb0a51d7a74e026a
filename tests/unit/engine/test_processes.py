"""--processes N: how a run is split into jobs, and how the workers' endings merge into one."""

from __future__ import annotations

from pathlib import Path

from simulator.core.outcome import RunResult
from simulator.engine.processes import _jobs, _merge_results
from simulator.engine.run import RunConfig
from simulator.recording.replay import ReplayOptions


def test_jobs_share_one_run_and_split_rate_concurrency_and_recording(tmp_path: Path) -> None:
    config = RunConfig(
        ("s.yaml",), rate=300.0, concurrency=5, record=str(tmp_path / "r.jsonl"), report="r.json", processes=3
    )
    jobs = _jobs(config, None, "http://127.0.0.1:1/webhook", str(tmp_path))
    assert [job.config.shard for job in jobs] == [(0, 3), (1, 3), (2, 3)]
    assert {job.config.rate for job in jobs} == {100.0}  # R/N each: R in all
    assert {job.config.concurrency for job in jobs} == {2}  # ceil(C/N)
    assert len({job.config.run_id for job in jobs}) == 1 and jobs[0].config.run_id  # one run id
    assert len({job.config.started for job in jobs}) == 1
    assert [Path(job.config.record or "").name for job in jobs] == [f"r.jsonl.part{k}" for k in range(3)]
    assert all(job.config.report is None and job.config.processes == 1 for job in jobs)
    assert all(job.config.target == "http://127.0.0.1:1/webhook" and job.replay is None for job in jobs)


def test_deterministic_ids_keep_the_seeded_ids_and_replay_shards_by_primary_key(tmp_path: Path) -> None:
    config = RunConfig(("r.jsonl",), deterministic_ids=True, processes=2)
    jobs = _jobs(config, ReplayOptions(secret="s"), "http://127.0.0.1:1/", str(tmp_path))
    assert {job.config.run_id for job in jobs} == {None}
    assert [job.replay.shard for job in jobs if job.replay] == [(0, 2), (1, 2)]
    assert all(job.config.max_rate for job in jobs)  # no target and no timing: max-rate, as one process


def test_the_endings_merge_into_how_the_run_ended() -> None:
    finished = RunResult(2.0, False, "Active", 10, "", 0)
    stopped = RunResult(3.0, True, "Active", 12, "stopped by SIGTERM", 4)
    merged = _merge_results([finished, stopped], None)
    assert merged == RunResult(3.0, True, "Active", 22, "stopped by SIGTERM", 4)
    disabled = RunResult(1.0, False, "TooManyErrors", 5, "TooManyErrors: 9 consecutive failed attempts", 3)
    assert _merge_results([finished, disabled], None).webhook_state == "TooManyErrors"
    assert _merge_results([], "worker 1 of 2 failed").interrupted
