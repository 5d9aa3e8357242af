"""Per-job resource limits, with their documented defaults."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    """What one job (one submission's run) may use. Each is enforced per child process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    part_timeout_s: float = Field(10.0, gt=0, description="wall-clock limit of each part")
    load_timeout_s: float = Field(10.0, gt=0, description="wall-clock limit of top-level code")
    memory_mb: int = Field(1024, ge=256, description="address space of the child, MiB")
    cpu_s: int = Field(10, ge=1, description="CPU seconds per part (and for top-level code)")
    processes: int = Field(32, ge=1, description="processes/threads the job may run at once")
    file_size_mb: int = Field(16, ge=1, description="largest file the job may write, MiB")
    open_files: int = Field(64, ge=16, description="open file descriptors")
    output_kb: int = Field(1024, ge=1, description="stdout+stderr the job may print, KiB")
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
