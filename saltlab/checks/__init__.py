"""The graded checks, each written once as a probe and a verdict.

A check's **probe** runs an implementation on a case and returns plain data
(JSON values and NumPy arrays). It decides nothing. Its **verdict** compares
that answer with the expected one (the reference's answer, or values worked
out by hand) and says pass or fail with a message a student can act on.

The public tests (``tests/``) run probe and verdict in one process, with the
reference's answers read from ``tests/fixtures/``. The instructor grader
(``grader/``) runs the probe in a sandboxed worker and the verdict in its own
process, with the reference computed live and hidden cases of its own.

Modules: :mod:`.core` (Case, Check, Verdict, the registry), :mod:`.plaindata`
(the only data format that crosses between probe and verdict), one module per
graded function (``<function>_checks.py``, gathered by :mod:`.all_checks`),
:mod:`.fixtures` (``make fixtures``), :mod:`.rubric`, :mod:`.in_process`
(the public tests' runner) and :mod:`.pytest_plugin`. The known mistakes a
failing verdict names, recomputed from the case's inputs: :mod:`.misconceptions`
(precision, recall), :mod:`.block_mistakes` (conv_block, downsample,
merge_skip), :mod:`.threshold_mistakes`; :mod:`.training_feedback` (the
training check's band, pattern and figure).

Importing the package registers every check: the imports run one way,
``__init__`` -> ``all_checks`` -> ``<function>_checks`` -> ``core``, and
``core`` imports none of them.
"""

from . import all_checks  # noqa: F401  (registers every check in core.REGISTRY)
from .core import REGISTRY, Case, Check, Outcome, Verdict, get_check, run_probe  # noqa: F401
