"""docs/deploy.md against the code: the roles-file example parses and gives the roles it describes, the
secrets.toml example has exactly the entries ui/auth.py and the launcher read, the settings and upload limit
stated are the launcher's, the audit actions listed are the store's, and the audit export command works."""
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from dip_model.access import Role, parse_roles
from dip_model.data.store import Store
from dip_model.data.store.audit import AUDIT_ACTIONS
from ui import auth

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
spec = importlib.util.spec_from_file_location("dip_serve_doc", ROOT / "scripts" / "serve.py")
serve = importlib.util.module_from_spec(spec)
spec.loader.exec_module(serve)


def block(lang: str) -> str:
    found = re.findall(rf"```{lang}\n(.*?)```", DOC, flags=re.S)
    assert len(found) == 1, lang
    return found[0]


def test_the_roles_example_parses_and_gives_the_roles_described():
    roles = parse_roles(block("yaml"), "docs/deploy.md")
    assert roles.resolve("Zhang.Wei@ybj.example.cn") == Role("bureau")
    assert roles.resolve("caiwu@h001.example.cn") == Role("hospital", "H001")
    assert roles.resolve("li.na@ybj.example.cn") == Role("viewer")
    assert roles.resolve("x@h002.example.cn", {"groups": ["/dip-h002"]}) == Role("hospital", "H002")
    assert roles.resolve("x@example.cn", {"groups": ["dip-h002", "dip-h003"]}) is None     # conflicting groups
    assert roles.resolve("nobody@example.cn") is None


def test_the_secrets_example_has_exactly_the_entries_read():
    secrets = tomllib.loads(block("toml"))
    assert set(secrets["auth"]) == set(auth.AUTH_KEYS + auth.PROVIDER_KEYS)
    assert auth.auth_problems(secrets) == []
    assert set(secrets) == {"auth", auth.ROLES_KEY[0]} and set(secrets["dip"]) == {auth.ROLES_KEY[1]}
    assert auth.roles_path(secrets, {}) == Path("/etc/dip/roles.yaml")
    for key in auth.AUTH_KEYS + auth.PROVIDER_KEYS:
        assert f"`[auth] {key}`" in DOC, key
    assert "`[dip] roles_file`" in DOC and f"`{auth.ENV_ROLES}`" in DOC


def test_the_settings_and_options_stated_are_the_launchers():
    cmd = serve.streamlit_command(serve.parse([])[0], Path("s.toml"), [])
    flags = dict(arg[2:].split("=", 1) for arg in cmd if arg.startswith("--") and "=" in arg)
    stated = re.findall(r"^\| `((?:server|client|browser)\.\w+)` \| `?([^`|]+?)`?(?:（MB）)? \|", DOC, re.M)
    assert len(stated) == 8
    for name, value in stated:
        assert flags[name] == value.strip('"'), name
    assert f"**上传大小上限：每个文件 {serve.MAX_UPLOAD_MB} MB。**" in DOC
    assert f"client_max_body_size {serve.MAX_UPLOAD_MB}m;" in DOC
    assert "400 MB upload limit" in DOC and serve.MAX_UPLOAD_MB == 400
    for option in re.findall(r"^\| `(--[\w-]+)` \|", DOC, re.M):
        assert option in {"--address", "--port", "--secrets", "--store", "--max-upload"}, option
    exec_start = re.search(r"^ExecStart=\S+ scripts/serve.py (.*)$", DOC, re.M).group(1).split()
    args = serve.parse(exec_start)[0]
    assert args.address == "127.0.0.1" and args.port == 8501


def test_the_audit_actions_listed_are_the_stores():
    listed = set(re.findall(r"`(\w+)`", DOC.split("## 9. 审计日志")[1].split("导出为")[0]))
    assert set(AUDIT_ACTIONS) <= listed


def test_the_audit_export_command_writes_the_entries(tmp_path):
    store = tmp_path / "dip.duckdb"
    Store(store).audit("chief@ybj.example.cn", "bureau", "sign_in")
    command = re.search(r'python -c "(.*?)"$', DOC.split("## 9. 审计日志")[1], re.M).group(1)
    out = tmp_path / "audit.csv"
    command = command.replace("/srv/dip/data/dip.duckdb", store.as_posix()).replace("/tmp/audit.csv", out.as_posix())
    subprocess.run([sys.executable, "-c", command], cwd=ROOT, check=True, timeout=120)
    text = out.read_text(encoding="utf-8-sig")
    assert "chief@ybj.example.cn" in text and "sign_in" in text
