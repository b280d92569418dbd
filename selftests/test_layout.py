"""The package's shape: no import circle, and imports run one way, from entry points down to data.

Read from the source with ``ast`` (imports inside functions count too), so a
circle hidden in a function body is caught as well.
"""

import ast

from saltlab.paths import REPO_ROOT

LAYERS = {
    # rank: the lowest layers first. A module may import its own component and
    # anything of a lower rank, never a higher one nor a sibling component.
    "saltlab.tensorflow_import": -1,  # imports nothing of saltlab; seeding imports TensorFlow through it
    "saltlab": 0, "saltlab.paths": 0, "saltlab.seeding": 0, "saltlab.io": 0, "saltlab.markdown": 0,
    "saltlab.machine": 0,
    "saltlab.impl": 1, "saltlab.data": 1,
    "saltlab.models": 2, "saltlab.training": 2, "saltlab.compact_training": 2, "saltlab.plots": 2,
    "saltlab.evaluation": 3,
    "saltlab.checks": 4, "saltlab.experiments": 4,
    "saltlab.demo": 5, "saltlab.submit": 5,
    "saltlab.authoring": 6, "saltlab.benchmarks": 6,
}


def _modules():
    modules = {}
    for path in sorted((REPO_ROOT / "saltlab").rglob("*.py")):
        parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def import_graph():
    """{module: set of saltlab modules it imports}, with relative imports resolved."""
    modules = _modules()
    graph = {}
    for name, (path, is_package) in modules.items():
        here = name.split(".") if is_package else name.split(".")[:-1]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                wanted = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(here[: len(here) - node.level + 1] + [node.module or ""]).strip(".") \
                    if node.level else node.module
                submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules]
                wanted = submodules or [base]
            else:
                continue
            for target in wanted:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    targets.add(target)
        graph[name] = targets
    return graph


def _component(module):
    return max((c for c in LAYERS if module == c or module.startswith(c + ".")), key=len)


def test_every_module_has_a_layer():
    assert {m for m in import_graph() if _component(m) == "saltlab" and m != "saltlab"} == set()


def test_imports_run_one_way():
    wrong = []
    for module, targets in import_graph().items():
        mine = _component(module)
        for target in targets:
            theirs = _component(target)
            if theirs != mine and (LAYERS[theirs] > LAYERS[mine] or LAYERS[theirs] == LAYERS[mine]):
                wrong.append(f"{module} -> {target}")
    assert wrong == [], "imports against the flow:\n" + "\n".join(sorted(wrong))


def test_no_import_circle():
    graph = import_graph()
    # A circle exists exactly when a depth-first search meets a module still on its path.
    state, circles = {}, []

    def visit(module, path):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                circles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == [], "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_the_graph_sees_function_level_imports():
    # runner imports its summary at module level now; the old circle ran through a function-level import.
    graph = import_graph()
    assert "saltlab.experiments.summary" in graph["saltlab.experiments.runner"]
    assert "saltlab.models" in graph["saltlab.checks.training_checks"]  # imported inside probe_training


def _readme_table_names(heading_line):
    """First-column names (in backticks) of the markdown table after ``heading_line`` in README.md."""
    import re

    lines = (REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(heading_line)
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
    return {name.rstrip("/") for row in rows[1:] for name in re.findall(r"`([^`]+)`", row.split("|")[1])}


def _tracked(folder=""):
    import subprocess

    listing = subprocess.run(["git", "ls-files", *([folder] if folder else [])], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    prefix = len(folder.rstrip("/") + "/") if folder else 0
    return {path[prefix:].split("/")[0] for path in listing.stdout.splitlines()}


def test_readme_layout_tables_match_the_tree():
    top = {name for name in _tracked() if not name.startswith(".") and (REPO_ROOT / name).is_dir()}
    assert _readme_table_names("| folder | what it holds | who uses it |") == top | {"SPEC.md"}
    inside = {name for name in _tracked("saltlab/") if name != "__init__.py"}
    assert _readme_table_names("| module | concept |") == inside
