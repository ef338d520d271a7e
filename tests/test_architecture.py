"""The library's shape: layers that only look down, no import cycles, no library module that
imports a CLI, a small top level, thin ``__init__`` files.

Imports are read from the source (``ast``), wherever they are written, including inside
functions: an import hidden in a function still ties two modules together. Only imports under
``if TYPE_CHECKING:`` are left out (they never run).

The layers follow the data flow; a module may import its own top-level package and any lower
layer, never a package of its own layer or of a higher one:

====  ================================  ====================================================
 0    ``runtime contracts stats``       shared vocabulary and helpers (and the package root)
 1    ``data masking``                  reading the data; masking token ids into batches
 2    ``model world``                   the networks; the synthetic world that builds the data
 3    ``training``                      what both loops share (step, schedule, checkpoints)
 4    ``pretrain tasks``                the pretraining loop; the fine-tuning task specs
 5    ``finetune``                      the fine-tuning loop over the task specs
 6    ``applications``                  what SpanBERT is for (notebook 06)
 7    ``course``                        exercises, widgets and plots of the notebooks
 8    ``tools``                         the study, grading, the student edition, runtimes
 9    ``cli``                           every command line
====  ================================  ====================================================

``__main__`` modules are entry points: they only hand over to :mod:`spanbert_lab.cli`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "spanbert_lab"
# Size is a guide, not a reason to split: a module that holds one idea may be long. The cap only
# catches a file that has quietly grown into several.
MAX_LINES = 600
CLI_MODULES = ("spanbert_lab.cli", "spanbert_lab.__main__")
LAYERS: tuple[tuple[str, ...], ...] = (
    ("runtime", "contracts", "stats"),
    ("data", "masking"),
    ("model", "world"),
    ("training",),
    ("pretrain", "tasks"),
    ("finetune",),
    ("applications",),
    ("course",),
    ("tools",),
    ("cli",),
)
LAYER = {name: level for level, names in enumerate(LAYERS) for name in names}
MAX_TOP_LEVEL_MODULES = 5  # besides sub-packages: __init__, __main__, runtime, contracts, stats
MAX_INIT_CODE_LINES = 80
MAX_INIT_FUNCTION_LINES = 15


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(name: str) -> str | None:
    """The package module ``name`` refers to (a module, or the package holding a name)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> set[str]:
    """Package modules imported anywhere in ``module`` (except under ``TYPE_CHECKING``)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    resolved = {_resolve(name) for name in found if name.startswith("spanbert_lab")}
    # A package's __init__ importing its own submodules is not a cycle with them.
    return {m for m in resolved if m is not None and m != module and not m.startswith(module + ".")}


def import_graph() -> dict[str, set[str]]:
    return {module: imports_of(module) for module in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return found


def test_the_import_walker_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_walker_reads_relative_and_hidden_imports():
    graph = import_graph()
    assert graph, "no modules found"
    assert any(graph.values()), "no imports found: the walker is broken"
    assert "spanbert_lab.contracts" in MODULES
    assert imports_of("spanbert_lab.contracts") == set(), "contracts must import no package module"


def test_no_import_cycles():
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_library_module_imports_a_command_line_module():
    graph = import_graph()
    cli = {m for m in MODULES if m.startswith(CLI_MODULES) or m.endswith(("_cli", ".__main__"))}
    offenders = {
        module: sorted(deps & cli)
        for module, deps in graph.items()
        if module not in cli and deps & cli
    }
    assert offenders == {}, f"library modules importing a CLI: {offenders}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_file_is_small(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(ROOT)}: {lines} lines > {MAX_LINES}"


def top_name(module: str) -> str:
    """The top-level part of the package ``module`` belongs to (``""`` for the package root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_of(module: str) -> int:
    return 0 if top_name(module) == "" else LAYER[top_name(module)]


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """``a -> b`` for every import of a package of the same or a higher layer (``__main__``s aside)."""
    found = []
    for module, deps in sorted(graph.items()):
        if module.endswith(".__main__"):
            continue
        for dep in sorted(deps):
            same_package = top_name(dep) == top_name(module)
            if not same_package and top_name(dep) and layer_of(dep) >= layer_of(module):
                found.append(
                    f"{module} (layer {layer_of(module)}) -> {dep} (layer {layer_of(dep)})"
                )
    return found


def test_every_top_level_module_and_package_has_a_layer():
    tops = {top_name(m) for m in MODULES} - {"", "__main__"}
    assert tops - set(LAYER) == set(), f"not in LAYERS: {sorted(tops - set(LAYER))}"
    assert set(LAYER) - tops == set(), (
        f"LAYERS names what does not exist: {sorted(set(LAYER) - tops)}"
    )


def test_the_layer_check_sees_an_upward_import():
    graph = {
        "spanbert_lab.masking.batch": {"spanbert_lab.training.step", "spanbert_lab.contracts"},
        "spanbert_lab.tasks.qa": {"spanbert_lab.pretrain.loop", "spanbert_lab.tasks.base"},
        "spanbert_lab.finetune.loop": {"spanbert_lab.tasks", "spanbert_lab.finetune.models"},
        "spanbert_lab.data.__main__": {"spanbert_lab.cli.data"},
    }
    assert layer_violations(graph) == [
        "spanbert_lab.masking.batch (layer 1) -> spanbert_lab.training.step (layer 3)",
        "spanbert_lab.tasks.qa (layer 4) -> spanbert_lab.pretrain.loop (layer 4)",
    ]


def test_no_module_imports_its_own_or_a_higher_layer():
    found = layer_violations(import_graph())
    assert found == [], "imports against the layers:\n" + "\n".join(found)


def test_the_top_level_holds_few_modules():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, (
        f"{len(modules)} modules at the top of spanbert_lab/ (at most {MAX_TOP_LEVEL_MODULES}): "
        f"{modules}; put a new module in the sub-package of its concern"
    )


def init_problems(source: str) -> list[str]:
    """What makes an ``__init__.py`` more than a docstring, re-exports and small glue."""
    tree = ast.parse(source)
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    code_lines = set()
    for node in body:
        code_lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    problems = []
    if len(code_lines) > MAX_INIT_CODE_LINES:
        problems.append(f"{len(code_lines)} lines of code > {MAX_INIT_CODE_LINES}")
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_INIT_FUNCTION_LINES:
                problems.append(
                    f"function {node.name} is {length} lines > {MAX_INIT_FUNCTION_LINES}"
                )
    return problems


def test_the_init_check_sees_a_loop_in_an_init():
    loop = "def train(model):\n" + "".join(f"    step_{i} = {i}\n" for i in range(20))
    assert init_problems('"""doc"""\nfrom a import b\n') == []
    assert init_problems(loop) == ["function train is 21 lines > 15"]
    assert init_problems("\n".join(f"x{i} = {i}" for i in range(81))) == ["81 lines of code > 80"]


@pytest.mark.parametrize("module", sorted(m for m, p in MODULES.items() if p.name == "__init__.py"))
def test_init_files_hold_no_loop(module):
    problems = init_problems(MODULES[module].read_text(encoding="utf-8"))
    assert problems == [], (
        f"{MODULES[module].relative_to(ROOT)}: {problems}; an __init__.py holds a docstring and "
        "re-exports, the code lives in a named module"
    )
