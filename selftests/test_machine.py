"""saltlab.machine.usable_cores: CPU affinity capped by a cgroup CPU quota, on fake cgroup trees."""

import pytest

from saltlab.machine import cgroup_cpu_limit, usable_cores


def _tree(tmp_path, proc, files):
    (tmp_path / "proc").write_text(proc)
    for name, text in files.items():
        path = tmp_path / "cg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {"cgroup_root": tmp_path / "cg", "proc_cgroup": tmp_path / "proc"}


@pytest.mark.parametrize("cpu_max, expected", [
    ("200000 100000\n", 2),      # docker --cpus 2
    ("150000 100000\n", 2),      # 1.5 CPUs: two cores partly busy
    ("50000 100000\n", 1),       # half a CPU (Gradescope's default container): never 0
    ("max 100000\n", 64),        # no quota
])
def test_a_cgroup_v2_quota_caps_the_affinity(tmp_path, cpu_max, expected):
    where = _tree(tmp_path, "0::/kubepods/pod1/c1\n", {"kubepods/pod1/c1/cpu.max": cpu_max})
    assert usable_cores(affinity=64, **where) == expected


def test_the_tightest_quota_of_the_cgroup_and_its_parents_wins(tmp_path):
    where = _tree(tmp_path, "0::/a/b\n", {"a/b/cpu.max": "max 100000", "a/cpu.max": "300000 100000",
                                          "cpu.max": "800000 100000"})
    assert cgroup_cpu_limit(**where) == 3.0
    assert usable_cores(affinity=2, **where) == 2  # the affinity is tighter


def test_cgroup_v1_quota(tmp_path):
    where = _tree(tmp_path, "4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n",
                  {"cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "400000", "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000"})
    assert usable_cores(affinity=16, **where) == 4
    where = _tree(tmp_path, "4:cpu,cpuacct:/docker/abc\n",
                  {"cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "-1", "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000"})
    assert usable_cores(affinity=16, **where) == 16


@pytest.mark.parametrize("proc, files", [
    ("", {}),                                           # no cgroup list
    ("garbage without colons\n", {}),
    ("0::/x\n", {"x/cpu.max": "lots 100000"}),         # malformed
    ("0::/x\n", {"x/cpu.max": "0 100000"}),            # zero quota
    ("0::/x\n", {"x/cpu.max": "100000 0"}),            # zero period
    ("0::/x\n", {"x/cpu.max": "100000"}),              # one field
    ("0::/../../etc\n", {}),                           # a path escaping the root reads nothing useful
])
def test_anything_unreadable_or_malformed_means_no_quota(tmp_path, proc, files):
    where = _tree(tmp_path, proc, files)
    assert cgroup_cpu_limit(**where) is None
    assert usable_cores(affinity=8, **where) == 8


def test_this_machine_has_at_least_one_usable_core():
    assert usable_cores() >= 1
