"""Per-job resource limits, with their documented defaults."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    """What one job (one submission's run) may use.

    Time and memory are the job's, over all its processes, so that a verdict never depends on
    what else runs on the host. The grader looks at the job's processes in ``/proc`` about ten
    times a second while it waits for an answer (:mod:`grader.runner.accounting`):

    - a part (or the top-level code) times out once the job has used ``part_timeout_s``
      (``load_timeout_s``) seconds of CPU time since it began, counted over all the job's
      processes, or once ``wall_factor`` times that has passed by the wall clock (a part that
      sleeps or waits). Where the job's processes cannot be read, the limit is wall-clock time.
    - a job whose processes together hold more than ``memory_mb`` of resident memory is
      stopped, its running part (or top-level code) an error. Between two looks a job can
      allocate more: each process is also held to ``memory_mb`` of address space by the kernel,
      so the hard bound is ``processes`` × ``memory_mb`` (16 GiB at the defaults); in practice a
      job overshoots by what it can allocate in a tenth of a second.
    - output (stdout and stderr) never fails a part: the grader reads it as it comes, keeps
      the first 4 KiB for the report and drops the rest; past ``output_kb`` the report says
      so. Only the time that printing takes counts, like any other work.

    The hosts the grader runs on delegate no cgroup v2 controllers, so the job's budget is
    enforced by the grader, not by the kernel: see the accounting module for its bounds (the
    plain backend does not see a process that leaves the job's process tree, and a plain child
    run as root is not held to ``processes``, which the kernel does not apply to root). The
    other limits are the kernel's, per process.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    part_timeout_s: float = Field(
        10.0, gt=0, description="CPU seconds of each part, over all the job's processes"
    )
    load_timeout_s: float = Field(
        10.0, gt=0, description="CPU seconds of top-level code, over all the job's processes"
    )
    wall_factor: float = Field(
        3.0,
        ge=1,
        description="wall-clock backstop: a part (or the top-level code) ends after this many "
        "times its CPU-time limit by the clock, however little CPU it used",
    )
    memory_mb: int = Field(
        1024,
        ge=256,
        description="resident memory of the job's processes together (checked ten times a "
        "second), and the address space of each, MiB; hard bound between checks: processes × "
        "memory_mb",
    )
    cpu_s: int = Field(
        10, ge=1, description="CPU seconds of each process per part (and for top-level code)"
    )
    processes: int = Field(
        16,
        ge=1,
        description="processes/threads the job may run at once; with memory_mb, the hard bound "
        "of the job's memory (16 × 1 GiB at the defaults)",
    )
    file_size_mb: int = Field(16, ge=1, description="largest file the job may write, MiB")
    open_files: int = Field(64, ge=16, description="open file descriptors")
    output_kb: int = Field(
        1024,
        ge=1,
        description="stdout+stderr, KiB, past which the report notes that output was dropped "
        "(it keeps the first 4 KiB; printing never fails a part, only the time it takes)",
    )
    max_result_kb: int = Field(1024, ge=1, description="largest single return value, KiB")
    tmpfs_mb: int = Field(64, ge=1, description="size of the job's private writable tmpfs")

    def child_rlimits(self, parts: int = 1) -> dict[str, int]:
        """The rlimits of one child that runs ``parts`` parts after the top-level code."""
        return {
            "address_space": self.memory_mb << 20,
            "cpu_seconds": self.cpu_s * (parts + 1),
            "file_size": self.file_size_mb << 20,
            "open_files": self.open_files,
            "processes": self.processes,
        }
