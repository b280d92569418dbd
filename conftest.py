"""pytest set-up for the whole repository: the public graders' plugin.

Registered here, at the root, so its options (``--impl``, ``--question``,
``--points-json``) are known however pytest is started.
"""

import saltlab  # noqa: F401  (silences TensorFlow before anything imports it)

pytest_plugins = ["saltlab.checks.pytest_plugin"]
