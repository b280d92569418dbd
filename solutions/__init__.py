"""The graded functions of the salt-segmentation assignment (see SPEC.md)."""
