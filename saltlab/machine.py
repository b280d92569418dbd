"""The machine: how many cores this process may use, and what kind of processor it is.

How many cores: the CPU affinity, capped by a cgroup CPU quota.

``--jobs`` defaults (the grader's, the experiments') are derived from it.
The affinity is what ``taskset`` and Slurm set; a container's CPU limit
(Docker's ``--cpus``, a Kubernetes ``resources.limits.cpu``) is a CFS quota
instead, invisible to the affinity: a pod limited to 2 CPUs on a 64-core
node sees 64. Both cgroup versions are read; anything unreadable or
malformed counts as "no quota", never as an error.

What kind (:func:`numeric_platform`): the processor and library versions
that can move a result's last digits, recorded by the grader's ``run.json``
and the benchmarks' JSON.
"""

import math
import os
import platform
from importlib import metadata
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def usable_cores(*, affinity=None, cgroup_root=CGROUP_ROOT, proc_cgroup=PROC_CGROUP):
    """Cores this process may keep busy.

    Parameters
    ----------
    affinity : int, optional
        Cores in the CPU affinity (default: ``os.sched_getaffinity(0)``).
    cgroup_root, proc_cgroup : pathlib.Path, optional
        Where the cgroup file systems and this process's cgroup list are (for tests).

    Returns
    -------
    cores : int
        ``min(affinity, ceil(quota / period))``, at least 1.
    """
    if affinity is None:
        affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = cgroup_cpu_limit(cgroup_root=cgroup_root, proc_cgroup=proc_cgroup)
    return max(1, min(affinity, math.ceil(quota)) if quota is not None else affinity)


def cgroup_cpu_limit(*, cgroup_root=CGROUP_ROOT, proc_cgroup=PROC_CGROUP):
    """float or None: the CPUs a cgroup quota allows this process (``None``: no quota found).

    cgroup v2: ``cpu.max`` (``"<quota> <period>"`` or ``"max <period>"``) of
    this process's cgroup and of each parent up to the root, the tightest
    wins. cgroup v1: ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (quota -1:
    none) in the ``cpu`` hierarchy.
    """
    limits = []
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        relative = path.lstrip("/")
        if controllers == "":  # v2, unified
            base = Path(cgroup_root)
            folders = [base / relative] + [base / p for p in _parents(relative)]
            for folder in folders:
                limits.append(_v2_limit(folder / "cpu.max"))
        elif "cpu" in controllers.split(","):
            for name in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
                base = Path(cgroup_root) / name
                if base.is_dir():
                    for folder in [base / relative] + [base / p for p in _parents(relative)]:
                        limits.append(_v1_limit(folder))
                    break
    limits = [limit for limit in limits if limit is not None]
    return min(limits) if limits else None


def _parents(relative):
    parts = [p for p in relative.split("/") if p]
    return ["/".join(parts[:i]) for i in range(len(parts) - 1, -1, -1)]


def _v2_limit(path):
    try:
        fields = path.read_text().split()
        if len(fields) != 2 or fields[0] == "max":
            return None
        quota, period = int(fields[0]), int(fields[1])
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def _v1_limit(folder):
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def numeric_platform():
    """What, beside the grader version and the seed, can move a grade's last digits: the machine's kind.

    TensorFlow's float32 kernels and the BLAS library's (the matrix products
    that make the checks' synthetic images) choose their code by the
    processor's instruction sets, and change between library versions: on
    two kinds of machine a training check's IoU can differ in its third
    decimal, and a handful of the checks' pixels by one grey level (README,
    "What holds where"). A run records this in ``run.json``; a merge of
    shards graded on different kinds warns.

    Returns
    -------
    dict
        ``machine`` (``platform.machine()``), ``processor`` (its model name),
        ``simd`` (which of avx2, avx512f, amx_tile, asimd it has), ``numpy``
        and ``tensorflow`` (versions), ``openblas_coretype`` (the variable
        that forces OpenBLAS's kernels, or ``None``).
    """
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:  # macOS, Windows: no /proc
        cpuinfo = ""
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
             if line.split(":")[0].strip() in ("model name", "Model", "CPU part")]
    flags = {word for line in cpuinfo.splitlines() if line.split(":")[0].strip() in ("flags", "Features")
             for word in line.split(":", 1)[1].split()}

    def version(package):
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    return {"machine": platform.machine(), "processor": names[0] if names else platform.processor() or None,
            "simd": sorted(flags & {"avx2", "avx512f", "amx_tile", "asimd"}),
            "numpy": version("numpy"), "tensorflow": version("tensorflow") or version("tensorflow-cpu"),
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE")}
