"""Defaults the sandbox needs before pydantic is loaded (:mod:`grader.runner.early`).

:class:`grader.runner.limits.Limits` declares each limit with these as its defaults.
"""

#: Size of a job's private writable tmpfs, MiB (set when bubblewrap starts).
TMPFS_MB = 64
