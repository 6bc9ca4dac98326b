"""The served-mode launcher (scripts/serve.py): what it refuses, the store it creates, the Streamlit settings
it passes (each a real option of the installed Streamlit, with a value it accepts)."""
import importlib.util
import os
import stat
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("dip_serve", ROOT / "scripts" / "serve.py")
serve = importlib.util.module_from_spec(spec)
spec.loader.exec_module(serve)

posix = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
ROLES = "users:\n  chief@ybj.example.cn: bureau\n  caiwu@h001.example.cn: hospital:H001\n"


def secrets_text(roles: Path, **auth) -> str:
    values = {"redirect_uri": "https://dip.example.cn/oauth2callback", "cookie_secret": "a" * 64,
              "client_id": "dip", "client_secret": "s3cret",
              "server_metadata_url": "https://sso.example.cn/realms/ybj/.well-known/openid-configuration", **auth}
    lines = "\n".join(f'{k} = "{v}"' for k, v in values.items() if v is not None)
    return f'[auth]\n{lines}\n\n[dip]\nroles_file = "{roles.as_posix()}"\n'


@pytest.fixture
def setup(tmp_path):
    roles = tmp_path / "roles.yaml"
    roles.write_text(ROLES, encoding="utf-8")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(secrets_text(roles), encoding="utf-8")
    secrets.chmod(0o600)
    return tmp_path, secrets, roles


def prepare(tmp_path, secrets, *more, env=None):
    return serve.prepare(["--secrets", str(secrets), "--store", str(tmp_path / "s" / "dip.duckdb"), *more],
                         dict(env or {}))


def refused(tmp_path, secrets, **kw) -> str:
    with pytest.raises(serve.Refused) as err:
        prepare(tmp_path, secrets, **kw)
    return str(err.value)


@posix
def test_a_complete_setup_starts_with_the_secure_settings_and_a_private_store(setup):
    tmp_path, secrets, roles = setup
    cmd, env = prepare(tmp_path, secrets, "--port", "9000", "--", "--server.baseUrlPath=dip",
                       env={"DIP_RAISE_ERRORS": "1"})
    for flag in ("--server.enableXsrfProtection=true", "--client.showErrorDetails=none", "--server.headless=true",
                 "--server.maxUploadSize=400", "--server.address=127.0.0.1", "--server.port=9000",
                 f"--secrets.files={secrets}", "--browser.gatherUsageStats=false", "--client.toolbarMode=viewer"):
        assert flag in cmd
    assert cmd[-1] == "--server.baseUrlPath=dip" and cmd[1:4] == ["-m", "streamlit", "run"]
    store = tmp_path / "s" / "dip.duckdb"
    assert env["DIP_STORE"] == str(store) and env["DIP_ROLES"] == str(roles) and "DIP_RAISE_ERRORS" not in env
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    import duckdb
    duckdb.connect(str(store)).close()              # a real (empty) database


def test_every_setting_passed_is_an_option_of_this_streamlit_with_an_accepted_value(setup):
    from streamlit import config
    tmp_path, secrets, _ = setup
    cmd, _ = prepare(tmp_path, secrets)
    options = config.get_config_options()
    for arg in cmd[cmd.index("run") + 2:]:
        name, _, value = arg[2:].partition("=")
        assert name in options, name
    assert config.ShowErrorDetailsConfigOptions("none") == config.ShowErrorDetailsConfigOptions.NONE


def test_no_secrets_file_or_no_auth_section_is_refused(setup):
    tmp_path, secrets, roles = setup
    assert "docs/deploy.md" in refused(tmp_path, tmp_path / "none.toml")
    secrets.write_text(f'[dip]\nroles_file = "{roles.as_posix()}"\n', encoding="utf-8")
    assert "没有 [auth] 一节" in refused(tmp_path, secrets)


@pytest.mark.parametrize("change, expected", [
    ({"client_secret": None, "cookie_secret": None}, "[auth] cookie_secret、[auth] client_secret"),
    ({"cookie_secret": "short"}, "secrets.token_hex(32)"),
    ({"redirect_uri": "https://dip.example.cn/"}, "/oauth2callback"),
])
def test_incomplete_auth_entries_are_named(setup, change, expected):
    tmp_path, secrets, roles = setup
    secrets.write_text(secrets_text(roles, **change), encoding="utf-8")
    assert expected in refused(tmp_path, secrets)


@pytest.mark.parametrize("content, expected", [(None, "角色文件无法使用"), ("users: {a@b.cn: boss}\n", "boss")])
def test_a_missing_or_malformed_roles_file_is_refused(setup, content, expected):
    tmp_path, secrets, roles = setup
    roles.unlink()
    if content is not None:
        roles.write_text(content, encoding="utf-8")
    assert expected in refused(tmp_path, secrets)


def test_no_roles_file_named_is_refused_and_the_env_may_name_it(setup):
    tmp_path, secrets, roles = setup
    secrets.write_text(secrets_text(roles).split("[dip]")[0], encoding="utf-8")
    assert "DIP_ROLES" in refused(tmp_path, secrets)
    _, env = prepare(tmp_path, secrets, env={"DIP_ROLES": str(roles)})
    assert env["DIP_ROLES"] == str(roles)


@posix
def test_secrets_or_store_readable_by_others_is_refused_with_the_chmod_to_run(setup):
    tmp_path, secrets, _ = setup
    secrets.chmod(0o644)
    assert f"chmod 600 {secrets}" in refused(tmp_path, secrets)
    secrets.chmod(0o600)
    store = tmp_path / "s" / "dip.duckdb"
    prepare(tmp_path, secrets)
    store.chmod(0o640)
    assert f"chmod 600 {store}" in refused(tmp_path, secrets)


def test_main_prints_the_reason_and_exits_2(setup, capsys):
    tmp_path, _, _ = setup
    assert serve.main(["--secrets", str(tmp_path / "none.toml")]) == 2
    assert "未启动 · not started" in capsys.readouterr().err


def test_bootstrap_hands_serve_to_the_launcher():
    sys.path.insert(0, str(ROOT / "scripts"))
    import bootstrap
    cmd = bootstrap.final_command("serve", ROOT / ".venv", ["--port", "9000"])
    assert cmd[1:] == [str(Path("scripts") / "serve.py"), "--port", "9000"]
    assert bootstrap.REQUIREMENTS["serve"] == "requirements.txt"
