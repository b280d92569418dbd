"""Authoring: building what students get, for instructors only (never shipped).

- :mod:`.stubgen`: ``solutions/*.py`` -> ``assignment/*.py`` stubs (``make stubs``);
- :mod:`.notebooks`: ``solutions/*.ipynb`` -> ``assignment/*.ipynb`` with nbgrader (``make notebooks``);
- :mod:`.release`: the student bundle, ``release/salt-assignment/`` and its zip (``make release``),
  with the student's ``Makefile`` and ``README.md`` from ``student_bundle/``.

The contract students receive is ``SPEC.md`` at the repository's root, shipped
in the bundle.
"""
