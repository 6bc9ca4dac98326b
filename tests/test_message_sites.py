"""No English-only text can reach a user: every error, data problem, data-check rule and warning that
dip_model raises or records is built from a catalogue Message (or Template), never from a plain string
or an f-string, and every key such a site names exists in the catalogue."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import dip_model
from dip_model.messages import catalog

PACKAGE = Path(dip_model.__file__).parent
FILES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)

# Files another engineer owns at the moment (fonts, chart rendering, the PDF document, the browser finder):
# not scanned, so their work in progress cannot fail this test. Their raise sites already use Messages
# (keys font_*, browser_missing, chart_* in rulesets/messages/engine.yaml); take them off once that work ends.
ALLOWED = {"report/fonts.py", "report/render.py", "report/pdfdoc.py", "report/browser.py"}

# call -> position and keyword of the argument that must be a message
MESSAGE_ARG = {"Problem": (1, "message"), "problem": (1, "message"), "rows": (3, "message"),
               "_Hit": (1, "message"), "raise_missing": (0, "msg"), "_Unreadable": (0, "message")}


def _trees() -> dict[str, ast.Module]:
    return {p.relative_to(PACKAGE).as_posix(): ast.parse(p.read_text(encoding="utf-8")) for p in FILES}


def _error_classes(trees) -> set[str]:
    """DipError and every class derived from it, anywhere in the package."""
    names, grew = {"DipError"}, True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and \
                        any(_name(b) in names for b in node.bases):
                    names.add(node.name)
                    grew = True
    return names


def _name(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_text(node) -> bool:
    """A plain string, an f-string, or text built from them (+, %, .format, .join, str())."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) or _is_text(node.orelse)
    if isinstance(node, ast.Call):
        return _name(node.func) in ("format", "join", "str") or \
            isinstance(node.func, ast.Attribute) and _is_text(node.func.value)
    return False


def _argument(call: ast.Call, pos: int, kw: str):
    for k in call.keywords:
        if k.arg == kw:
            return k.value
    return call.args[pos] if len(call.args) > pos else None


def _violations(tree: ast.Module, errors: set[str]) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        arg = None
        if name in errors:
            arg = _argument(node, 0, "message")
        elif name in MESSAGE_ARG:
            arg = _argument(node, *MESSAGE_ARG[name])
        elif name == "append" and _name(getattr(node.func, "value", None)) == "warnings" and node.args:
            arg = node.args[0]
        if arg is not None and _is_text(arg):
            found.append(f"line {node.lineno}: {name}({ast.unparse(arg)[:60]})")
    return found


def test_no_error_problem_rule_or_warning_is_built_from_plain_text():
    trees = _trees()
    errors = _error_classes(trees)
    assert {"ParameterError", "StoreError", "ReadError", "MappingError", "InputError"} <= errors
    bad = {f: v for f, tree in trees.items() if f not in ALLOWED and (v := _violations(tree, errors))}
    assert not bad, "English-only messages (use dip_model.messages.Message / Template):\n" + "\n".join(
        f"{f} {line}" for f, lines in bad.items() for line in lines)


def test_the_scan_sees_plain_text():
    code = ("raise ParameterError(f'x {y}')\nctx.problem(f, 'missing')\nctx.rows(f, c, m, 'bad: {v}')\n"
            "warnings.append('a' + b)\nraise StoreError(Message('store_exists', name=n), code='exists')\n"
            "raise InputError([Problem(f, Message('file_empty'))])\n")
    found = _violations(ast.parse(code), {"ParameterError", "StoreError", "InputError"})
    assert [f.split(":")[0] for f in found] == ["line 1", "line 2", "line 3", "line 4"]


@pytest.mark.parametrize("file", sorted(ALLOWED))
def test_allowed_files_exist(file):
    assert (PACKAGE / file).is_file(), f"{file} is gone: take it off ALLOWED"


def test_every_key_named_in_the_code_is_in_the_catalogue():
    keys = set(catalog())
    missing = []
    for f, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in ("Message", "Template", "say") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value not in keys:
                    missing.append(f"{f} line {node.lineno}: {first.value}")
    assert not missing, missing
