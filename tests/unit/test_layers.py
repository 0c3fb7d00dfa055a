"""The package's layers, as docs/architecture.md promises them: a module imports only from its own layer or
the layers below it, and no chain of imports (at the top of a module or inside a function) runs in a circle."""

import ast
import re
from pathlib import Path

from helpers import REPO as ROOT

PACKAGE = ROOT / "ada"


def promised_layers() -> list[str]:
    """The layer order, bottom first, from the numbered list under '## Layers' in docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. `(ada(?:\.\w+)?)`", section, flags=re.M)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every ada module `path` imports, wherever in the file the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "ada"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "ada":
            for a in node.names:  # `from ada.x import y`: y may be a module of ada.x or a name in it
                sub = f"{node.module}.{a.name}"
                found.add(sub if (PACKAGE.parent / (sub.replace(".", "/") + ".py")).is_file()
                          or (PACKAGE.parent / sub.replace(".", "/")).is_dir() else node.module)
    return found


def layer_of(module: str, layers: list[str]) -> int:
    best = [i for i, layer in enumerate(layers) if module == layer or module.startswith(layer + ".")]
    assert best, f"{module} is in no layer of docs/architecture.md"
    return max(best, key=lambda i: len(layers[i]))


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_docs_name_every_package_as_a_layer():
    layers = promised_layers()
    assert layers[0] == "ada" and len(layers) == len(set(layers)) >= 10
    packages = {f"ada.{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(layers[1:]), "docs/architecture.md and the folders of ada/ name other layers"
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert not loose, f"modules outside every layer's folder: {loose}"


def test_no_module_imports_a_layer_above_its_own():
    layers = promised_layers()
    upward = []
    for module, targets in graph().items():
        here = layer_of(module, layers)
        for target in targets:
            if layer_of(target, layers) > here:
                upward.append(f"{module} -> {target}")
    assert not upward, "imports that run up the layers:\n" + "\n".join(upward)


def test_no_import_cycle():
    edges = graph()
    state, cycles = {}, []

    def visit(module, path):
        state[module] = "open"
        for target in sorted(edges.get(module, ())):
            if target not in edges:
                target = target.rsplit(".", 1)[0] if target.rsplit(".", 1)[0] in edges else target
            if state.get(target) == "open":
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target in edges and target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in edges:
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_walk_sees_upward_imports_and_cycles(tmp_path):
    """The checks above can fail: a module of a low layer importing a high one is caught, wherever it stands."""
    low = tmp_path / "low.py"
    low.write_text("def f():\n    from ada.cli.main import main\n    return main\n")
    assert "ada.cli.main" in imports(low)
    layers = promised_layers()
    assert layer_of("ada.cli.main", layers) > layer_of("ada.data.atomic", layers)


def test_the_ada_command_starts_without_jax():
    """Every `ada` call imports the whole command line; JAX (about 2 s) is imported by the commands that use it,
    so that an argument error or --help answers at once."""
    import subprocess
    import sys

    code = "import sys, ada.cli; heavy = {'jax', 'flax', 'scipy', 'librosa'} & set(sys.modules); print(sorted(heavy))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
