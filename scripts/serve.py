"""The bureau's served app: sign-in required, secure settings, checked before it starts.

    ./dip serve [--address 127.0.0.1] [--port 8501] [--secrets .streamlit/secrets.toml]
                [--store data/dip.duckdb] [--max-upload 400] [-- more streamlit options]

Refuses to start, saying what to fix, when the secrets file is missing, lacks [auth] entries or is
readable by group or others; when the roles file ([dip] roles_file or env DIP_ROLES) is missing or
malformed; or when the store file is readable by group or others. Creates the store with mode 600 and
runs the server with umask 077, so what it writes later is private too. Then starts Streamlit with XSRF
protection, no error details to the browser, the viewer toolbar, no usage statistics and an upload limit.
The single-user `./dip app` is unchanged. docs/deploy.md describes the whole deployment."""
from __future__ import annotations

import argparse
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dip_model.access import load_roles  # noqa: E402
from dip_model.errors import DipError  # noqa: E402
from dip_model.messages import localise  # noqa: E402
from ui.auth import ENV_ROLES, auth_problems, roles_path  # noqa: E402

MAX_UPLOAD_MB = 400              # per file; the docs state it
MIN_COOKIE_SECRET = 32           # characters
SECRETS = ROOT / ".streamlit" / "secrets.toml"


class Refused(Exception):
    """A reason not to start: (Chinese, English)."""


def _refuse(zh: str, en: str) -> Refused:
    return Refused(f"{zh}\n{en}")


def private(path: Path) -> bool:
    """Readable and writable by its owner only (always true where POSIX modes do not apply)."""
    return os.name != "posix" or not stat.S_IMODE(path.stat().st_mode) & 0o077


def _check_private(path: Path, what_zh: str, what_en: str) -> None:
    if not private(path):
        mode = oct(stat.S_IMODE(path.stat().st_mode))[2:]
        raise _refuse(f"{what_zh} {path} 的权限是 {mode}，组用户或其他用户可以读取。请执行：chmod 600 {path}",
                      f"the {what_en} {path} has mode {mode}: group or others can read it. Run: chmod 600 {path}")


def read_secrets(path: Path) -> dict:
    if not path.is_file():
        raise _refuse(f"找不到 secrets 文件 {path}；请按 docs/deploy.md 创建（含 [auth] 一节）。",
                      f"no secrets file at {path}; create it as docs/deploy.md shows (with an [auth] section).")
    _check_private(path, "secrets 文件", "secrets file")
    try:
        with open(path, "rb") as f:
            secrets = tomllib.load(f)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise _refuse(f"secrets 文件 {path} 不是有效的 TOML：{err}",
                      f"the secrets file {path} is not valid TOML: {err}") from None
    if "auth" not in secrets:
        raise _refuse(f"secrets 文件 {path} 没有 [auth] 一节：服务模式必须配置登录（见 docs/deploy.md）。",
                      f"the secrets file {path} has no [auth] section: served mode needs sign-in (docs/deploy.md).")
    missing = auth_problems(secrets)
    if missing:
        raise _refuse(f"secrets 文件 {path} 缺少：{'、'.join(missing)}",
                      f"the secrets file {path} lacks: {', '.join(missing)}")
    auth = secrets["auth"]
    if not str(auth["redirect_uri"]).rstrip("/").endswith("/oauth2callback"):
        raise _refuse("[auth] redirect_uri 必须以 /oauth2callback 结尾（应用地址 + /oauth2callback）。",
                      "[auth] redirect_uri must end in /oauth2callback (the app's address + /oauth2callback).")
    if len(str(auth["cookie_secret"])) < MIN_COOKIE_SECRET:
        hint = 'python -c "import secrets; print(secrets.token_hex(32))"'
        raise _refuse(f"[auth] cookie_secret 太短（至少 {MIN_COOKIE_SECRET} 个字符），可用以下命令生成：{hint}",
                      f"[auth] cookie_secret is too short (at least {MIN_COOKIE_SECRET} characters); make one: {hint}")
    return secrets


def check_roles(secrets: dict, env: dict[str, str]) -> Path:
    path = roles_path(secrets, env)
    if path is None:
        raise _refuse(f"未指定角色文件：请在 secrets 文件的 [dip] 一节写 roles_file，或设置环境变量 {ENV_ROLES}。",
                      f"no roles file: set roles_file in the secrets file's [dip] section, or env {ENV_ROLES}.")
    try:
        load_roles(path)
    except DipError as err:
        raise _refuse(f"角色文件无法使用：{localise(err, 'zh')}", f"the roles file cannot be used: {localise(err, 'en')}")
    return path


def prepare_store(path: Path) -> None:
    """An existing store must be private; a missing one is created with mode 600."""
    if path.exists():
        _check_private(path, "数据库文件", "store file")
        return
    import duckdb
    path.parent.mkdir(parents=True, exist_ok=True)
    old = os.umask(0o077)
    try:
        duckdb.connect(str(path)).close()
    finally:
        os.umask(old)
    if os.name == "posix":
        path.chmod(0o600)


def streamlit_command(a: argparse.Namespace, secrets: Path, extra: list[str]) -> list[str]:
    # runner.postScriptGC off: Streamlit's full collection after every run cost ~0.1 s of one core per
    # redraw with the city loaded (Python's own collector still runs)
    return [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.headless=true", f"--server.address={a.address}", f"--server.port={a.port}",
            "--server.enableXsrfProtection=true", "--server.enableCORS=true",
            f"--server.maxUploadSize={a.max_upload}", "--server.fileWatcherType=none", "--server.runOnSave=false",
            "--client.showErrorDetails=none", "--client.toolbarMode=viewer", "--browser.gatherUsageStats=false",
            "--runner.postScriptGC=false", f"--secrets.files={secrets}", *extra]


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(prog="./dip serve", description="DIP 服务模式（需登录）· served mode (sign-in)")
    ap.add_argument("--address", default="127.0.0.1", help="listen address (behind the reverse proxy: 127.0.0.1)")
    ap.add_argument("--port", type=int, default=8501)
    ap.add_argument("--secrets", type=Path, default=SECRETS, help="secrets.toml with [auth] and [dip]")
    ap.add_argument("--store", type=Path, default=None, help="the store file (default: env DIP_STORE, "
                                                              "else data/dip.duckdb)")
    ap.add_argument("--max-upload", type=int, default=MAX_UPLOAD_MB, help="MB per uploaded file")
    return ap.parse_args(argv), extra


def prepare(argv: list[str], env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The command and environment to run; Refused when the deployment is not safe to start."""
    a, extra = parse(argv)
    secrets_file = a.secrets.expanduser().resolve()
    secrets = read_secrets(secrets_file)
    roles = check_roles(secrets, env)
    store = (a.store or Path(env.get("DIP_STORE") or ROOT / "data" / "dip.duckdb")).expanduser().resolve()
    prepare_store(store)
    run_env = dict(env, DIP_STORE=str(store), **{ENV_ROLES: str(roles)})
    run_env.pop("DIP_RAISE_ERRORS", None)            # a test setting: never in a served app
    return streamlit_command(a, secrets_file, extra), run_env


def main(argv: list[str] | None = None) -> int:
    try:
        cmd, env = prepare(sys.argv[1:] if argv is None else argv, dict(os.environ))
    except Refused as why:
        print(f"未启动 · not started:\n{why}", file=sys.stderr)
        return 2
    print("服务模式已通过检查，正在启动 · served mode checked, starting", flush=True)
    os.umask(0o077)                                  # the store's WAL, imports, logs: the service user's only
    if os.name == "posix":
        os.chdir(ROOT)
        os.execve(sys.executable, cmd, env)
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
