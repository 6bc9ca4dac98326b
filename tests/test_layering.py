"""The layers of dip_model, read from the imports of every module (no module is run):

    top level (params, errors, messages, yamlio) → data.dataset → rules → data → the package's public
    API (dip_model/__init__.py) → analysis → access → report → cli

Each layer imports only from itself and the layers before it; the rules see nothing of data but the
DataSet type; nothing in dip_model imports the dashboard (ui, pages) or streamlit. The access layer (who may
see what) is imported only by the cli inside dip_model: the dashboard applies it to what it shows."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dip_model"
TOP = {"dip_model.params", "dip_model.errors", "dip_model.messages", "dip_model.yamlio"}
LAYERS = ["top", "dataset", "rules", "data", "api", "analysis", "access", "report", "cli"]
PACKAGES = {"rules", "data", "analysis", "access", "report", "cli"}
FORBIDDEN = ("ui", "pages", "streamlit", "app")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    if module in TOP:
        return "top"
    if module == "dip_model":
        return "api"
    if module == "dip_model.__main__":
        return "cli"
    if module == "dip_model.data.dataset":
        return "dataset"
    return module.split(".")[1]


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in the file; `from pkg import name` counts pkg.name when
    that is a module of dip_model."""
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for a in node.names:
                sub = f"{target}.{a.name}"
                known = (PACKAGE.parent / sub.replace(".", "/")).with_suffix(".py").exists() or \
                    (PACKAGE.parent / sub.replace(".", "/") / "__init__.py").exists()
                out.append((node.lineno, sub if known else target))
    return out


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path):
    me = layer(module_name(path))
    wrong = []
    for line, target in imports(path):
        root = target.split(".")[0]
        if root in FORBIDDEN:
            wrong.append(f"line {line}: {target} (the dashboard)")
        if root != "dip_model":
            continue
        theirs = layer(target)
        if LAYERS.index(theirs) > LAYERS.index(me):
            wrong.append(f"line {line}: {target} ({theirs} is above {me})")
    assert not wrong, f"{path.relative_to(PACKAGE)} ({me}):\n" + "\n".join(wrong)


def test_the_rules_see_only_the_dataset_type_of_data():
    for path in (PACKAGE / "rules").glob("*.py"):
        for line, target in imports(path):
            if target.startswith("dip_model.data"):
                assert target == "dip_model.data.dataset", f"{path.name} line {line}: {target}"


def test_only_the_cli_imports_the_access_layer():
    for path in MODULES:
        me = layer(module_name(path))
        if me in ("access", "cli"):
            continue
        for line, target in imports(path):
            assert not target.startswith("dip_model.access"), f"{path.relative_to(PACKAGE)} line {line}: {target}"


def test_a_new_package_must_be_given_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages <= PACKAGES, packages - PACKAGES


def test_the_checker_catches_an_upward_import(tmp_path, monkeypatch):
    bad = PACKAGE / "rules" / "_layering_probe.py"
    bad.write_text("from ..analysis import projection\n", encoding="utf-8")
    try:
        with pytest.raises(AssertionError, match="analysis is above rules"):
            test_imports_point_down_the_layers(bad)
    finally:
        bad.unlink()
