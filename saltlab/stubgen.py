"""Forwards ``python -m saltlab.stubgen`` to :mod:`saltlab.authoring.stubgen`.

The stub generator moved to ``saltlab/authoring/`` with the other tools that
build what students get; this module keeps the old command working until the
Makefile's ``check`` target calls the new one. Not shipped to students.
"""

import sys

from .authoring.stubgen import main

if __name__ == "__main__":
    sys.exit(main())
