"""The package's shape: layers that point one way, no import cycle, unique module names, one place that builds
engines, a lazy import.

Layers, bottom up: errors (with the categories, option values, lazy-import, config-schema and permission helpers)
→ motion → models → conversion and export → image/video I/O → procedural data → framing and real faces
(fomm_hf.faces) → animation engines → model store → pipelines → evaluation → training and data preparation →
app / cli. A module may import its own package and the layers below it, never one above; no two packages import
each other, even within a layer; and no modules import each other in a circle, even within a package.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "fomm_hf"
LAYERS = [
    {"errors", "categories", "option_values", "lazy", "permissions", "schema"},
    {"motion"},
    {"models"},
    {"conversion", "export"},
    {"images", "visualization", "video"},
    {"procedural"},
    {"framing", "faces"},
    {"animation"},
    {"model_store"},
    {"pipelines"},
    {"evaluation"},
    {"training", "preparation"},
    {"app", "cli", "convert", "__main__", "__init__"},
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def unit_of(module: str) -> str:
    """"fomm_hf.models.generator" -> "models"; "fomm_hf" -> "__init__"."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool) -> set:
    """The fomm_hf modules that ``source`` (the code of ``module``) imports, anywhere in the file."""
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "fomm_hf"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "fomm_hf":
                # "from . import x" and "from .pkg import module" may name modules: count the most precise.
                found |= {f"{target}.{alias.name}" if node.module is None else target for alias in node.names}
    return found


def import_graph(files: dict) -> dict:
    """{module: set of imported fomm_hf modules} for {path: source}."""
    return {
        module_name(path): imported_modules(source, module_name(path), path.name == "__init__.py")
        for path, source in files.items()
    }


def layering_violations(graph: dict) -> list:
    problems = []
    for module, imports in sorted(graph.items()):
        unit = unit_of(module)
        if unit not in RANK:
            problems.append(f"{module}: {unit} is in no layer (add it to LAYERS)")
            continue
        for imported in sorted(imports):
            target = unit_of(imported)
            if target in RANK and RANK[target] > RANK[unit]:
                problems.append(f"{module} imports {imported}: {target} is above {unit}")
    units = {}
    for module, imports in graph.items():
        units.setdefault(unit_of(module), set()).update(unit_of(m) for m in imports if unit_of(m) != unit_of(module))
    for unit, targets in units.items():
        for target in targets:
            if unit in units.get(target, set()) and unit < target:
                problems.append(f"{unit} and {target} import each other")
    return problems


def package_files() -> dict:
    return {path: path.read_text() for path in sorted(PACKAGE.rglob("*.py"))}


def import_cycles(graph: dict) -> list:
    """The circles of modules that import each other (imports inside functions too), each as a sorted list of
    module names; an import of a name from a package counts as an import of the package."""

    def module_of(name: str) -> str:
        while name not in graph and "." in name:
            name = name.rpartition(".")[0]
        return name

    edges = {module: {module_of(m) for m in imports} - {module} for module, imports in graph.items()}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return sorted(cycles)


def test_no_module_imports_a_layer_above_it():
    assert layering_violations(import_graph(package_files())) == []


def test_the_check_catches_an_upward_import_and_a_cycle():
    files = package_files()
    upward = dict(files)
    upward[PACKAGE / "models" / "generator.py"] += "\nfrom ..pipelines import FOMMPipeline\n"
    assert layering_violations(import_graph(upward)) == [
        "fomm_hf.models.generator imports fomm_hf.pipelines: pipelines is above models",
        "models and pipelines import each other",
    ]
    lazy = dict(files)  # an import inside a function counts as well
    lazy[PACKAGE / "video" / "writer.py"] += "\ndef later():\n    from fomm_hf.animation import engine\n"
    assert layering_violations(import_graph(lazy)) == [
        "fomm_hf.video.writer imports fomm_hf.animation: animation is above video"
    ]
    cycle = dict(files)
    cycle[PACKAGE / "images.py"] += "\nfrom .video import open_video\n"
    assert "images and video import each other" in layering_violations(import_graph(cycle))


def test_no_modules_import_each_other_in_a_circle():
    assert import_cycles(import_graph(package_files())) == []


def test_the_cycle_check_finds_a_circle_within_a_package():
    files = package_files()
    files[PACKAGE / "model_store" / "registry.py"] += "\nfrom .resolution import resolve_model\n"
    assert ["fomm_hf.model_store.conversion_cache", "fomm_hf.model_store.registry",
            "fomm_hf.model_store.resolution"] in import_cycles(import_graph(files))


def test_module_names_are_unique():
    names = [path.stem for path in PACKAGE.rglob("*.py") if path.stem not in ("__init__", "__main__")]
    packages = [path.parent.name for path in PACKAGE.rglob("__init__.py") if path.parent != PACKAGE]
    duplicates = sorted({name for name in names + packages if (names + packages).count(name) > 1})
    assert duplicates == []


def test_only_the_pipelines_engine_cache_builds_engines():
    sources = [*PACKAGE.rglob("*.py"), *(REPO_ROOT / "benchmarks").glob("*.py"), *(REPO_ROOT / "scripts").glob("*.py"),
               REPO_ROOT / "app.py", REPO_ROOT / "train_accelerate.py", *(REPO_ROOT / "tests").glob("*.py")]
    builders = sorted(
        str(path.relative_to(REPO_ROOT)) for path in sources
        if re.search(r"(?<!class )\b(TorchEngine|ExportedEngine)\(", path.read_text())
    )
    assert builders == ["fomm_hf/pipelines/engine_cache.py"]


@pytest.mark.parametrize("argv", [None, ["--help"], ["animate", "--help"], ["convert", "--help"], ["export", "--help"],
                                  ["prepare-data", "--help"]])
def test_importing_the_package_and_asking_for_help_imports_no_heavy_library(argv):
    code = (
        "import sys, fomm_hf\n"
        f"argv = {argv!r}\n"
        "if argv is not None:\n"
        "    from fomm_hf.cli import main\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in ('torch', 'diffusers', 'gradio', 'transformers', 'accelerate') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_public_names_load_on_first_use():
    import fomm_hf

    assert all(getattr(fomm_hf, name).__name__ == name for name in fomm_hf.__all__)
    assert set(fomm_hf.__all__) <= set(dir(fomm_hf))
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        fomm_hf.Nothing
