# Generated from the reference solution by `make stubs` (python -m saltlab.stubgen).
# Replace each `raise NotImplementedError(...)` with your code; keep the signatures.
"""The graded functions of the salt-segmentation assignment (see SPEC.md)."""
