"""A training check computes the same bytes whatever the number of cores the grading machine has.

TensorFlow splits one kernel's work over as many threads as the process may
use, and float32 sums grouped differently round differently: without
:func:`saltlab.seeding.pin_grading_threads` the public training below gives
other probabilities on one core than on two. Each run is a fresh process
under ``taskset``, as a cluster node with fewer cores would run it, through
the two ways checks run: the public tests' pytest plugin (``make test``) and
the grader's worker environment.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

TRAIN_ONE_EPOCH = r"""
import hashlib, sys

def train():
    import numpy as np
    from saltlab.checks import training_checks
    from saltlab.impl import load_implementation
    case = training_checks.training_case("maxpool", "concat")
    case.params["epochs"] = 1
    got = training_checks.probe_training(load_implementation("solutions"), case)
    print("HASH", hashlib.sha256(np.ascontiguousarray(got["probabilities"]).tobytes()).hexdigest(), flush=True)

class TrainAfterCollection:  # make test's set-up (the plugin's configure and collection), then the training
    def pytest_collection_finish(self, session):
        train()

if sys.argv[1] == "plugin":
    import pytest
    code = pytest.main(["tests", "--impl", "solutions", "--collect-only", "-q"], plugins=[TrainAfterCollection()])
    sys.exit(int(code))
train()
"""


def _train(cpus, route, **shell):
    """Start one epoch of the public maxpool-concat training on ``cpus`` (a taskset list)."""
    if route == "worker":
        from grader.sandbox import worker_environment

        env = {**worker_environment(), "PYTHONPATH": str(REPO)}
    else:
        env = {name: value for name, value in os.environ.items() if name != "TF_NUM_INTRAOP_THREADS"}
        env.update(PYTHONPATH=str(REPO), **shell)
    return subprocess.Popen(["taskset", "-c", cpus, sys.executable, "-c", TRAIN_ONE_EPOCH, route], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2 or not Path("/usr/bin/taskset").exists(),
                    reason="needs two cores and taskset")
def test_training_check_gives_the_same_bytes_on_one_core_and_on_two():
    cores = sorted(os.sched_getaffinity(0))
    runs = {"make test, 1 core": _train(str(cores[0]), "plugin"),
            # A student's shell may ask TensorFlow for more threads: make test must not listen.
            "make test, 2 cores, TF_NUM_INTRAOP_THREADS=2": _train(f"{cores[0]},{cores[1]}", "plugin",
                                                                    TF_NUM_INTRAOP_THREADS="2"),
            "grader worker, 2 cores": _train(f"{cores[0]},{cores[1]}", "worker")}
    hashes = {}
    for name, process in runs.items():
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, f"{name}: {err[-2000:]}"
        hashes[name] = [line.split()[1] for line in out.splitlines() if line.startswith("HASH ")][-1]
    assert len(set(hashes.values())) == 1, f"the same training gave other probabilities: {hashes}"
