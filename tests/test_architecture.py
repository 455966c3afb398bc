"""The package's shape: imports run one way, stage by stage, with no cycle; modules and functions stay short.

Every import is read with ``ast``, deferred ones (in a function body, under ``TYPE_CHECKING``)
included: an import hidden in a function is still an edge.  ``python tests/test_architecture.py``
prints the figures (module count, largest module, longest function, the import graph's size).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"benchmark": "ood_icl", "generators": "ood_icl.generators", "task_yaml": "ood_icl.task_yaml"}

# The stages, in data-flow order (docs/architecture.md): a module may import its own stage or an earlier one.
STAGES = (
    ("ood_icl.generators",),
    ("ood_icl._args", "ood_icl.io", "ood_icl"),  # leaf utilities: import nothing of ours
    ("ood_icl.suite",),
    ("ood_icl.dataset", "ood_icl.model", "ood_icl.publish"),
    ("ood_icl.ideal", "ood_icl.validity"),
    ("ood_icl.harness", "ood_icl.task_yaml"),
    ("ood_icl.finetune",),
    ("ood_icl.verify",),
    ("ood_icl.leaderboard",),
    ("ood_icl.cli",),
)
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
EXEMPT = "# size:"  # a module's or function's first comment starting so says why it may be longer


def _modules() -> dict[str, Path]:
    out = {}
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join([package, *parts])] = path
    return out


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    base = module if _is_package(module) else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    if node.level == 0:
        return node.module or ""
    return f"{base}.{node.module}" if node.module else base


def imports(module: str) -> set[str]:
    """Our modules that ``module`` imports anywhere in its source (top level or deferred)."""
    tree = ast.parse(MODULES[module].read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            names = [target] + [f"{target}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:  # `import ood_icl.x.y` names the deepest module that exists
                name = name.rpartition(".")[0]
            if name.startswith("ood_icl") and name in MODULES and name != module:
                found.add(name)
    return found - {module}


def stage(module: str) -> int:
    best = None
    for i, prefixes in enumerate(STAGES):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + ".") and prefix != "ood_icl":
                if best is None or len(prefix) > best[1]:
                    best = (i, len(prefix))
    assert best is not None, f"{module}: in no stage of STAGES"
    return best[0]


def test_every_module_has_a_stage():
    for module in MODULES:
        stage(module)


def test_imports_run_one_way():
    upward = [f"{m} (stage {stage(m)}) imports {i} (stage {stage(i)})"
              for m in MODULES for i in sorted(imports(m)) if stage(i) > stage(m)]
    assert not upward, "\n".join(upward)


def test_generators_import_nothing_outside_generators():
    bad = [f"{m} imports {i}" for m in MODULES if m.startswith("ood_icl.generators")
           for i in imports(m) if not i.startswith("ood_icl.generators")]
    assert not bad, "\n".join(bad)


def _cycle() -> list[str] | None:
    graph = {m: sorted(imports(m)) for m in MODULES}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in graph[m]:
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in graph:
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle():
    cycle = _cycle()
    assert cycle is None, " -> ".join(cycle)


def test_no_type_checking_imports():
    bad = [m for m, path in MODULES.items() if "TYPE_CHECKING" in path.read_text()]
    assert not bad, f"imports hidden under TYPE_CHECKING: {bad}"


def _first_comment(lines: list[str]) -> str:
    return next((line.strip() for line in lines if line.strip().startswith("#")), "")


def _functions(path: Path):
    lines = path.read_text().splitlines()
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node.end_lineno - node.lineno + 1, lines[node.lineno:node.end_lineno]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_and_function_sizes(module):
    path = MODULES[module]
    lines = path.read_text().splitlines()
    if len(lines) > MAX_MODULE_LINES:
        assert _first_comment(lines).startswith(EXEMPT), f"{path}: {len(lines)} lines > {MAX_MODULE_LINES}"
    long = [f"{name} ({n} lines)" for name, n, body in _functions(path)
            if n > MAX_FUNCTION_LINES and not _first_comment(body).startswith(EXEMPT)]
    assert not long, f"{path}: functions over {MAX_FUNCTION_LINES} lines: {long}"


def figures(folders=("benchmark",)) -> dict:
    """Module count, largest module and longest function (lines) under ``folders``."""
    paths = [p for m, p in MODULES.items() if p.relative_to(ROOT).parts[0] in folders]
    sizes = {p: len(p.read_text().splitlines()) for p in paths}
    funcs = [(n, f"{p.relative_to(ROOT)}:{name}") for p in paths for name, n, _ in _functions(p)]
    largest = max(sizes, key=sizes.get)
    return {"modules": len(paths), "largest": (sizes[largest], str(largest.relative_to(ROOT))),
            "longest_function": max(funcs), "edges": sum(len(imports(m)) for m in MODULES)}


if __name__ == "__main__":
    print(figures())
