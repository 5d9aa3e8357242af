"""Grading on a Dask cluster gives the same gradebook as grading locally."""

from __future__ import annotations

from pathlib import Path

from batch_support import SECRET, make_flat

from grader.assignment import load_assignment
from grader.batch.discover import discover
from grader.batch.executors import DaskExecutor, LocalExecutor
from grader.batch.gradebook import write_gradebook
from grader.batch.run import run_batch
from grader.cases import load_case_set
from grader.core import Grader
from grader.settings import get_settings


def test_dask_local_cluster_matches_local_run(tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    folder = make_flat(
        tmp_path / "in",
        {"ann": "correct_loops", "ben": "mistake_sign_flip", "cy": "mistake_uses_h_t",
         "dee": "correct_float32"},
    )  # fmt: skip
    (folder / "eve.py").write_text("def dL_dd(y_pred, y_gt):\n    raise ValueError('no')\n")
    assignment = load_assignment()
    # The default limits: no verdict here is a timeout, and correct_loops takes up to 0.4 s a
    # part on the hidden cases, on a machine that also runs a Dask cluster.
    settings = get_settings(allow_unconfined=True)
    hidden = load_case_set(assignment, "hidden", SECRET)
    # As grader batch builds it: the local one chooses its backend now, the Dask one on each
    # worker.
    local_grader = Grader(settings, case_set=hidden, untrusted=True, warm=True)
    remote_grader = Grader(settings, case_set=hidden, untrusted=True, warm=True, defer_backend=True)
    subs = discover(folder).submissions
    backend = local_grader.backend
    local = run_batch(subs, tmp_path / "local", local_grader, LocalExecutor(2))
    local_grader.close()
    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        executor = DaskExecutor(client)
        assert executor.workers == 2
        remote = run_batch(subs, tmp_path / "dask", remote_grader, executor)
    assert remote.graded == 5
    assert {r.report.sandbox for r in remote.rows if r.report} == {backend.name}
    write_gradebook(local.rows, assignment, tmp_path / "local.csv")
    write_gradebook(remote.rows, assignment, tmp_path / "dask.csv")
    assert (tmp_path / "dask.csv").read_text() == (tmp_path / "local.csv").read_text()
