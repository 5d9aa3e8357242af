"""A job's one budget: what all its processes use, read from ``/proc``, and the limits of a phase.

A host that delegates no cgroup v2 controllers (the hosts the grader runs on) cannot have the
kernel hold a job to a budget; the grader does it. While it waits for a job's next frame, the
session looks at the job (:class:`PhaseBudget`) about ten times a second, and holds it to the
sum over all its processes of

- CPU time: ``utime + stime + cutime + cstime`` of ``/proc/PID/stat``, so that a process the
  job has reaped still counts, through its parent;
- memory: the resident sets, recounted as proportional sets above the limit (see
  :meth:`PhaseBudget.held`).

A look is one pass over ``/proc/*/stat`` (each file read once, non-numeric entries skipped,
processes that vanish during the pass tolerated): about 0.9 ms on a host of 85 processes, the
kernel's formatting of those files most of it, so about 1% of a core per job being waited
for. A part that answers before the first look (``FIRST_LOOK_S``) pays for none.

Which processes are the job's:

- **bwrap and plain** (:func:`subtree_usage`): the process tree under the child the grader
  started. In bwrap every process of the job stays in it: the pid namespace's init (bwrap)
  adopts and reaps orphans. In the plain backend, which is not a security boundary, a process
  that forks twice and lets its parent exit is adopted by the host's init (or a subreaper) and
  leaves the account, and so the budget: the plain backend's bound.
- **the pool** (:func:`pool_job_root`): the job runs under a uid the grader chose, that no
  other live job of the pool has; its first process with that uid in the warm worker's tree
  is the init of the job's pid namespace, and that process's tree is the job (orphans cannot
  leave the namespace).

Known gaps, each bounded by the wall-clock backstop (``Limits.wall_factor``): a process whose
parent ignores SIGCHLD takes its CPU time with it when it ends (the kernel adds it to no one's
``cutime``); a process reaped while a pass runs may be missed or counted twice in that one
look. Memory is bounded between looks only by the kernel's per-process limits (see
:class:`~grader.runner.limits.Limits`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")
# Fields of /proc/PID/stat after the ")" that ends the command name, counted from 0 (state):
# see proc_pid_stat(5), whose numbering starts at 1 with the pid.
_PPID, _UTIME, _CUTIME, _START, _RSS = 1, 11, 13, 19, 21


class Process(NamedTuple):
    """One process as a snapshot saw it."""

    pid: int
    ppid: int
    start: int  # clock ticks after boot: with the pid, names the process for good
    cpu_ticks: int  # its threads' CPU time and that of the children it reaped
    rss_pages: int


@dataclass(frozen=True)
class JobUsage:
    """What a job's processes held and had used at one moment."""

    cpu_s: float  # CPU seconds of the job's processes since each started (reaped ones too)
    resident_bytes: int  # the sum of their resident sets
    pids: tuple[int, ...]


def scan() -> dict[int, Process]:
    """Every process on the host (as this pid namespace sees it), by pid."""
    found: dict[int, Process] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _read(f"/proc/{entry}/stat")
        if stat is None:
            continue  # it ended since the listing
        process = _parse(int(entry), stat)
        if process is not None:
            found[process.pid] = process
    return found


def _read(path: str) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)


def _parse(pid: int, stat: bytes) -> Process | None:
    fields = stat.rpartition(b")")[2].split(None, _RSS + 1)
    try:
        cpu = int(fields[_UTIME]) + int(fields[_UTIME + 1]) + int(fields[_CUTIME])
        cpu += int(fields[_CUTIME + 1])
        return Process(pid, int(fields[_PPID]), int(fields[_START]), cpu, int(fields[_RSS]))
    except (IndexError, ValueError):
        return None


def descendants(processes: dict[int, Process], root: int) -> list[Process]:
    """``root`` and every process under it, following parent links."""
    children: dict[int, list[int]] = {}
    for p in processes.values():
        children.setdefault(p.ppid, []).append(p.pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        process = processes.get(pid)
        if process is not None:
            found.append(process)
            todo.extend(children.get(pid, ()))
    return found


def usage_of(processes: Iterable[Process]) -> JobUsage:
    listed = list(processes)
    return JobUsage(
        cpu_s=sum(p.cpu_ticks for p in listed) / _TICKS,
        resident_bytes=sum(p.rss_pages for p in listed) * _PAGE,
        pids=tuple(p.pid for p in listed),
    )


def subtree_usage(root: int, start: int | None = None) -> JobUsage | None:
    """The usage of the tree under process ``root`` (started at ``start`` ticks, if given:
    a pid that names another process by now is not the job); None once ``root`` is gone."""
    processes = scan()
    top = processes.get(root)
    if top is None or (start is not None and top.start != start):
        return None
    return usage_of(descendants(processes, root))


def real_uid(pid: int) -> int | None:
    """The real uid of a process (its ``/proc/PID`` owner can be root: see proc(5))."""
    status = _read(f"/proc/{pid}/status")
    if status is None:
        return None
    for line in status.split(b"\n"):
        if line.startswith(b"Uid:"):
            try:
                return int(line.split()[1])
            except (IndexError, ValueError):
                return None
    return None


def pool_job_root(worker: int, uid: int) -> Process | None:
    """The init of a pool job's pid namespace: the process under the warm worker ``worker``
    whose real uid is ``uid`` and whose parent's is not. None until the job has dropped to
    its uid (before that no student code runs), or once it is gone."""
    processes = scan()
    under = descendants(processes, worker)
    uids = {p.pid: real_uid(p.pid) for p in under}
    for p in under:
        if uids[p.pid] == uid and uids.get(p.ppid) != uid:
            return p
    return None


def proportional_bytes(pids: Iterable[int]) -> int | None:
    """The sum of the processes' proportional set sizes; None where one cannot be read (no
    permission, or a kernel without ``smaps_rollup``). A process that ended counts 0."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                text = f.read()
        except PermissionError:
            return None
        except OSError:  # it ended
            continue
        for line in text.split(b"\n"):
            if line.startswith(b"Pss:"):
                total += int(line.split()[1]) << 10
                break
    return total


#: A phase runs this long before the first look at the job, then is looked at this often: a
#: part that answers before the first look pays for none.
FIRST_LOOK_S = 0.075
LOOK_EVERY_S = 0.1
#: The shortest time between looks, while the job's memory may be about to pass its limit.
MIN_LOOK_S = 0.02
#: How long a look waits for the recount of a job's shared pages (see :class:`_Recount`).
RECOUNT_WAIT_S = 0.02
#: How fast a job is assumed to be able to grow at least, bytes a second: a few processes
#: touching fresh memory (transparent huge pages) reach gigabytes a second.
GROWTH_FLOOR = 4 << 30


class OverBudget(Exception):
    """The job used up its phase's time (``timeout``) or holds more memory than it may."""

    def __init__(self, message: str = "", *, timeout: bool) -> None:
        super().__init__(message)
        self.message = message
        self.timeout = timeout


class PhaseBudget:
    """What a job may use in one phase (a part, its top-level code, its start):

    - ``limit_s`` seconds of CPU time over all its processes, counted from the phase's start;
    - ``wall_factor`` × ``limit_s`` seconds by the wall clock, busy or not (a part that sleeps
      uses no CPU time);
    - ``memory_mb`` MiB of memory across its processes.

    ``usage`` measures the job (a child's ``usage()``); until it has measured the job once
    (it says None where it cannot, or not yet: a pool job before it has its uid), ``limit_s``
    is wall-clock time, as before jobs were measured. The job is looked at only while the
    grader waits for it (:meth:`check`). The CPU time before the first measure is counted as
    one core's, at most ``FIRST_LOOK_S``: a job that ran on several cores then used up to
    that much more than it is charged.
    """

    def __init__(
        self,
        usage: Callable[[], JobUsage | None],
        limit_s: float,
        wall_factor: float,
        memory_mb: int,
    ) -> None:
        self.usage = usage
        self.limit_s = limit_s
        self.wall_factor = wall_factor
        self.memory_mb = memory_mb
        self.start = time.monotonic()
        self.next_look = self.start + min(FIRST_LOOK_S, limit_s)
        self.first: tuple[float, float] | None = None  # (when, the job's CPU seconds)
        # (when, resident bytes) at the last look; at the start, nothing is known to be held
        self.last = (self.start, 0)
        self.recount: _Recount | None = None

    @property
    def deadline(self) -> float:
        """When the wall clock ends the phase: the backstop once the job has been measured,
        the limit itself until then."""
        return self.start + self.limit_s * (1.0 if self.first is None else self.wall_factor)

    def check(self, now: float) -> float:
        """Raise :class:`OverBudget` if the job is over its budget; else how long to wait
        for it before the next look (or the deadline)."""
        if now >= self.deadline:
            raise OverBudget(timeout=True)
        if now >= self.next_look:
            self._look(now)
        return max(0.0, min(self.next_look, self.deadline) - now)

    def _look(self, now: float) -> None:
        usage = self.usage()
        self.next_look = now + LOOK_EVERY_S
        if usage is None:  # not measurable (yet, or any more): the wall clock decides
            return
        if self.first is None:
            self.first = (now, usage.cpu_s)
        when, cpu = self.first
        if usage.cpu_s - cpu + min(when - self.start, FIRST_LOOK_S) > self.limit_s:
            raise OverBudget(timeout=True)
        limit = self.memory_mb << 20
        held = self.held(usage, limit)
        if held is not None and held > limit:
            raise OverBudget(
                f"used more than {self.memory_mb} MiB of memory across its processes",
                timeout=False,
            )
        headroom = 0 if held is None else limit - held  # not known: look again soon
        self.next_look = now + self._interval(now, usage.resident_bytes, headroom)

    def held(self, usage: JobUsage, limit: int) -> int | None:
        """The job's memory, exact enough to compare with ``limit`` bytes; None while that
        is not known.

        The sum of resident sets counts a page that several of the job's processes share (a
        forked copy not yet written to, numpy's libraries) once for each: cheap, and an upper
        bound. Above ``limit`` it is recounted as the sum of proportional sets (``Pss``, each
        shared page split between its sharers), on a thread of its own (:class:`_Recount`):
        a recount not done within ``RECOUNT_WAIT_S`` of its start is taken at a later look,
        and is then of an earlier moment (a job that held more than its limit then did use
        more)."""
        if usage.resident_bytes <= limit:
            return usage.resident_bytes
        started = self.recount is None
        if self.recount is None:
            self.recount = _Recount(usage.pids)
        if not self.recount.done.wait(RECOUNT_WAIT_S if started else 0.0):
            return None
        recounted, self.recount = self.recount.result, None
        return usage.resident_bytes if recounted is None else recounted

    def _interval(self, now: float, resident: int, headroom: int) -> float:
        """``LOOK_EVERY_S``, or less when the job could reach its memory limit before then:
        the time it would take to, growing at twice the rate since the last look, and at
        least at ``GROWTH_FLOOR``. A job that holds a few hundred MiB of a 1 GiB limit is
        looked at every 0.1 s, one near its limit every 0.02 s."""
        (then, before), self.last = self.last, (now, resident)
        rate = 2 * (resident - before) / (now - then) if now > then else 0.0
        return min(LOOK_EVERY_S, max(MIN_LOOK_S, headroom / max(rate, GROWTH_FLOOR)))


class _Recount:
    """The sum of some processes' proportional sets (:func:`proportional_bytes`), counted on a
    thread of its own. Reading a process's ``smaps_rollup`` takes its memory-map lock, which a
    process holds while it forks or maps memory, for as long as it is not scheduled: in a fork
    bomb on a busy host, seconds for each process. The grader's thread must not wait that long
    (its CPU-time verdict would wait too); the counting thread ends once the job is killed."""

    def __init__(self, pids: tuple[int, ...]) -> None:
        self.result: int | None = None
        self.done = threading.Event()
        try:
            threading.Thread(target=self._count, args=(pids,), daemon=True).start()
        except RuntimeError:  # no thread to be had (a fork bomb fills a pids limit the grader
            self.done.set()  # shares): the upper bound, the sum of resident sets, stands

    def _count(self, pids: tuple[int, ...]) -> None:
        try:
            self.result = proportional_bytes(pids)
        finally:
            self.done.set()
