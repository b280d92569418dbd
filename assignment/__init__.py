# Generated from the reference solution by `make stubs` (python -m saltlab.authoring.stubgen).
# Replace each `raise NotImplementedError(...)` with your code; keep the signatures.
"""The graded functions of the salt-segmentation assignment (see SPEC.md)."""
