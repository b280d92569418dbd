"""Benchmark: the input pipeline against the training step it feeds.

``python -m saltlab.benchmarks.input_pipeline [--out out/bench/input_pipeline.json]``

Measures images per second through :func:`saltlab.data.make_batches` with
augmentation (iterating batches, no training) and images per second of
``model.train_on_batch`` on 32-image batches of the course U-Net built from
the reference solutions. The pipeline must be much faster than the step, or
training would wait for data. Writes both rates and their ratio as JSON.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path


from saltlab.data.batches import make_batches
from saltlab.data.preprocess import masks_to_network, to_network_input
from saltlab.data.synthetic import synthesize


def pipeline_rate(x, y, *, batch_size=32, epochs=3, seed=0):
    """Images per second through make_batches(augment=True, shuffle=True).

    Parameters
    ----------
    x, y : numpy.ndarray, float32, shape (N, 128, 128, 1)
    batch_size : int, optional
    epochs : int, optional
        Passes timed after one warm-up pass (which traces the map function).
    seed : int, optional

    Returns
    -------
    float
    """
    batches = make_batches(x, y, batch_size=batch_size, shuffle=True,
                           augment=True, seed=seed)
    for _ in batches:  # warm-up: tracing and first allocations
        pass
    count, start = 0, time.perf_counter()
    for _ in range(epochs):
        for xb, _yb in batches:
            count += int(xb.shape[0])
    return count / (time.perf_counter() - start)


def train_step_rate(x, y, *, impl, batch_size=32, steps=10):
    """Images per second of ``train_on_batch`` of the course U-Net.

    Parameters
    ----------
    x, y : numpy.ndarray, float32, shape (N, 128, 128, 1), N >= batch_size
    impl : saltlab.impl.Implementation
        Whose blocks build the U-Net.
    batch_size : int, optional
    steps : int, optional
        Timed steps, after three warm-up steps.

    Returns
    -------
    float
    """
    from saltlab.models import build_unet
    from saltlab.seeding import seed_everything

    seed_everything(0)
    model = build_unet(impl=impl)
    model.compile("adam", "binary_crossentropy")
    xb, yb = x[:batch_size], y[:batch_size]
    for _ in range(3):
        model.train_on_batch(xb, yb)
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(xb, yb)
    return steps * batch_size / (time.perf_counter() - start)


def main(argv=None):
    """Run the benchmark and write the JSON report; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m saltlab.benchmarks.input_pipeline",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path,
                        default=Path("out/bench/input_pipeline.json"))
    parser.add_argument("--n", type=int, default=1024,
                        help="images in the pipeline benchmark (1024)")
    parser.add_argument("--steps", type=int, default=10,
                        help="timed training steps (10)")
    args = parser.parse_args(argv)

    data = synthesize(args.n, seed=0)
    x, y = to_network_input(data.images), masks_to_network(data.masks)
    pipe = pipeline_rate(x, y)
    from saltlab.impl import load_implementation

    step = train_step_rate(x, y, impl=load_implementation("solutions"), steps=args.steps)
    report = {
        "pipeline_images_per_second": round(pipe, 1),
        "train_step_images_per_second": round(step, 1),
        "ratio_pipeline_over_train_step": round(pipe / step, 1),
        "batch_size": 32,
        "pipeline": "make_batches(shuffle=True, augment=True), iterated only",
        "train_step": "build_unet(impl=solutions) train_on_batch, adam, "
                      "binary_crossentropy",
        "images": args.n,
        "cpu_count": os.cpu_count(),
        # Other processes slow both rates; the load tells how busy it was.
        "load_average_1min": round(os.getloadavg()[0], 2),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    if pipe < 5 * step:
        print("warning: the input pipeline is less than 5x faster than the "
              "training step", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
