"""Load an implementation of the graded functions: assignment, solutions, or a folder.

The graders, the model builder and the experiments never import
``assignment`` or ``solutions`` by name. They receive an
:class:`Implementation`, loaded from one of:

- ``"assignment"``: the student's package (the default everywhere);
- ``"solutions"``: the reference (instructors only; absent from the student bundle);
- the path of any folder laid out like ``assignment/`` (one student's submission).

Each entry point (a command line, a notebook, a pytest session, the grader's
worker) calls :func:`load_implementation` once and hands the
:class:`Implementation` down; the model builders and the evaluation take it
as an object and never load one themselves.
"""

import hashlib
import importlib.machinery
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

from .paths import ASSIGNMENT_DIR, SOLUTIONS_DIR

GRADED_MODULES = ("blocks", "metrics", "threshold")
"""Files of an implementation folder, as ``<name>.py``."""

GRADED_FUNCTIONS = {
    "conv_block": "blocks",
    "downsample": "blocks",
    "merge_skip": "blocks",
    "precision": "metrics",
    "recall": "metrics",
    "find_best_threshold": "threshold",
}
"""Each graded function and the module that holds it (see SPEC.md)."""

NAMED_IMPLEMENTATIONS = {"assignment": ASSIGNMENT_DIR, "solutions": SOLUTIONS_DIR}


class ImplementationError(ImportError):
    """An implementation folder is missing, incomplete, or fails to import."""


@dataclass(frozen=True)
class Implementation:
    """The graded modules of one implementation, loaded as a package.

    Attributes
    ----------
    label : str
        ``"assignment"``, ``"solutions"`` or the folder's path as given.
    folder : pathlib.Path
        The folder holding ``blocks.py``, ``metrics.py``, ``threshold.py``.
    modules : dict of str to module
        ``{"blocks": <module>, "metrics": <module>, "threshold": <module>}``.
    """

    label: str
    folder: Path
    modules: dict

    def function(self, name):
        """Return the graded function ``name`` (``"conv_block"``, ...).

        Raises
        ------
        AttributeError
            If the implementation's module does not define it.
        """
        module = self.modules[GRADED_FUNCTIONS[name]]
        try:
            return getattr(module, name)
        except AttributeError:
            raise AttributeError(
                f"{self.folder / (GRADED_FUNCTIONS[name] + '.py')} does not define {name}()"
            ) from None

    def __getattr__(self, name):
        # impl.conv_block(...) reads like the assignment's own API.
        if name in GRADED_FUNCTIONS:
            return self.function(name)
        raise AttributeError(name)


def default_implementation():
    """The implementation an entry point uses when none is named.

    Returns
    -------
    spec : {'solutions', 'assignment'}
        ``"solutions"`` when the reference is present (instructors),
        ``"assignment"`` otherwise (the student bundle has no ``solutions/``).
    """
    return "solutions" if (SOLUTIONS_DIR / "blocks.py").is_file() else "assignment"


def require_implementation(impl, caller):
    """Return ``impl`` if it is a loaded :class:`Implementation`, else raise.

    Raises
    ------
    TypeError
        Naming ``caller`` and what it received (a name or a path must be
        loaded first, at the entry point).
    """
    if not isinstance(impl, Implementation):
        raise TypeError(
            f"{caller}: impl must be an Implementation, got {impl!r}; "
            "load it once with saltlab.impl.load_implementation(...) and pass the result"
        )
    return impl


def resolve_folder(spec):
    """Turn ``"assignment"``, ``"solutions"`` or a path into an existing folder.

    Raises
    ------
    ImplementationError
        If the folder does not exist, naming it and the valid choices.
    """
    if isinstance(spec, str) and spec in NAMED_IMPLEMENTATIONS:
        folder = NAMED_IMPLEMENTATIONS[spec]
    else:
        folder = Path(spec).expanduser()
    folder = folder.resolve()
    if not folder.is_dir():
        raise ImplementationError(
            f"implementation {str(spec)!r}: no folder at {folder}; expected 'assignment', "
            f"'solutions' or the path of a folder holding "
            + ", ".join(f"{m}.py" for m in GRADED_MODULES)
        )
    return folder


def load_implementation(spec="assignment"):
    """Import the graded modules of an implementation as one package.

    Parameters
    ----------
    spec : str, os.PathLike or Implementation, optional
        ``"assignment"`` (default), ``"solutions"``, the path of a folder laid
        out like ``assignment/``, or an already loaded implementation.

    Returns
    -------
    impl : Implementation

    Raises
    ------
    ImplementationError
        If the folder or one of its files is missing, or importing fails (a
        syntax error, say); the message names the file.

    Notes
    -----
    Each folder is imported under a private package name derived from its
    path, so the reference and a submission can be loaded side by side and
    ``from .metrics import precision`` inside ``threshold.py`` resolves to the
    same folder's ``metrics.py``.
    """
    if isinstance(spec, Implementation):
        return spec
    folder = resolve_folder(spec)
    missing = [m for m in GRADED_MODULES if not (folder / f"{m}.py").is_file()]
    if missing:
        raise ImplementationError(
            f"{folder} is missing " + ", ".join(f"{m}.py" for m in missing)
            + f"; an implementation folder holds {', '.join(m + '.py' for m in GRADED_MODULES)}"
        )
    package = "saltlab_impl_" + hashlib.sha1(str(folder).encode()).hexdigest()[:12]
    if package not in sys.modules:
        # The blocks import keras, hence TensorFlow: import it first, without its start-up notices.
        from .tensorflow_import import import_tensorflow

        import_tensorflow()
        init = folder / "__init__.py"
        if init.is_file():
            spec_ = importlib.util.spec_from_file_location(
                package, init, submodule_search_locations=[str(folder)]
            )
        else:  # a submission may forget __init__.py: treat the folder as a namespace
            spec_ = importlib.machinery.ModuleSpec(package, None, is_package=True)
            spec_.submodule_search_locations = [str(folder)]
        module = importlib.util.module_from_spec(spec_)
        sys.modules[package] = module
        try:
            if init.is_file():
                spec_.loader.exec_module(module)
        except Exception as error:
            del sys.modules[package]
            raise ImplementationError(f"{init}: import failed: {type(error).__name__}: {error}") from error
    modules = {}
    for name in GRADED_MODULES:
        try:
            modules[name] = importlib.import_module(f"{package}.{name}")
        except Exception as error:
            raise ImplementationError(
                f"{folder / (name + '.py')}: import failed: {type(error).__name__}: {error}"
            ) from error
    label = spec if isinstance(spec, str) and spec in NAMED_IMPLEMENTATIONS else str(folder)
    return Implementation(label=label, folder=folder, modules=modules)


