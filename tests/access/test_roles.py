"""The roles file: a good file read, every kind of bad file refused with a Message naming file, line and key
(in both languages); a person resolved by e-mail, then by group; conflicting groups and unknown people
refused; the rights table; User.local()."""
from __future__ import annotations

import pytest

from dip_model.access import (
    ACTIONS, AccessDenied, Role, RoleMap, RolesError, User, can, check_hospital, load_roles, parse_roles, require,
)
from dip_model.errors import DipError

GOOD = """\
# who may use the app; anyone signed in but not listed is refused
group_claim: roles
users:                       # by e-mail (case-insensitive)
  Zhang.Wei@ybj.example.cn: bureau
  caiwu@h001.example.cn: hospital:H001
  guest@ybj.example.cn: viewer
groups:
  dip-bureau: bureau
  dip-h002: " hospital : H002 "
  dip-view: viewer
"""


def test_a_good_file(tmp_path):
    path = tmp_path / "roles.yaml"
    path.write_text("\ufeff" + GOOD, encoding="utf-8")                 # a BOM is fine
    roles = load_roles(path)
    assert roles.group_claim == "roles" and roles.source == str(path)
    assert roles.users["zhang.wei@ybj.example.cn"] == Role("bureau")
    assert roles.users["caiwu@h001.example.cn"] == Role("hospital", "H001")
    assert roles.groups["dip-h002"] == Role("hospital", "H002")
    assert roles.hospitals() == {"H001", "H002"}
    assert roles.lines["users:guest@ybj.example.cn"] == 6


def test_role_parse_and_str():
    for text in ("bureau", "viewer", "hospital:H001"):
        assert str(Role.parse(text)) == text
        assert Role.parse(text) == Role.parse(f"  {text} ")
    for bad in ("Bureau", "hospital", "hospital:", "viewer:H1", "admin", "", None, 3):
        with pytest.raises(RolesError):
            Role.parse(bad)
    with pytest.raises(RolesError):
        Role("bureau", "H001")
    assert Role.parse("hospital:H001").label().text("zh") == "医院 H001"


@pytest.mark.parametrize("text, key, line", [
    ("users: [a@b.cn]\n", "roles_not_mapping", 1),
    ("- bureau\n", "roles_not_mapping", 1),
    ("users:\n  a@b.cn: admin\n", "roles_bad_role", 2),
    ("users:\n  a@b.cn: hospital\n", "roles_no_hospital", 2),
    ("users:\n  a@b.cn: 'hospital:  '\n", "roles_no_hospital", 2),
    ("users:\n  a@b.cn: bureau\n  A@B.cn: viewer\n", "roles_duplicate", 3),
    ("groups:\n  g: bureau\n  g: viewer\n", "roles_duplicate", 3),
    ("users:\n  a@b.cn: bureau\nusers:\n  c@d.cn: viewer\n", "roles_duplicate", 3),
    ("users:\n  a@b.cn: bureau\nadmins:\n  c@d.cn: viewer\n", "roles_top_key", 3),
    ("users:\n  not-an-email: bureau\n", "roles_bad_key", 2),
    ("users:\n  a@b.cn: [bureau]\n", "roles_bad_role", 2),
    ("group_claim: [a]\nusers:\n  a@b.cn: bureau\n", "roles_bad_claim", 1),
    ("group_claim: 3\nusers:\n  a@b.cn: bureau\n", "roles_bad_claim", 1),
])
def test_each_bad_file_names_file_line_and_key(tmp_path, text, key, line):
    path = tmp_path / "roles.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RolesError) as err:
        load_roles(path)
    msg = err.value.message
    assert msg.key == key, str(msg)
    assert msg.values["file"] == str(path) and msg.values["line"] == line
    assert str(path) in str(err.value) and str(path) in err.value.text("zh")
    assert f"第 {line} 行" in err.value.text("zh")


@pytest.mark.parametrize("text, key", [("", "roles_empty"), ("users:\ngroups:\n", "roles_empty"),
                                       ("users: {a: b\n", "roles_yaml")])
def test_empty_or_broken_files(text, key):
    with pytest.raises(RolesError) as err:
        parse_roles(text, "roles.yaml")
    assert err.value.message.key == key and "roles.yaml" in err.value.text("zh")


def test_an_unreadable_file(tmp_path):
    with pytest.raises(RolesError) as err:
        load_roles(tmp_path / "absent.yaml")
    assert err.value.message.key == "roles_unreadable"
    (tmp_path / "gbk.yaml").write_bytes("users:\n  a@b.cn: 医保局\n".encode("gb18030"))
    with pytest.raises(RolesError):
        load_roles(tmp_path / "gbk.yaml")


@pytest.fixture(scope="module")
def roles() -> RoleMap:
    return parse_roles(GOOD)


def test_resolve_by_email_then_group(roles):
    assert roles.resolve("ZHANG.wei@ybj.example.cn ", {}) == Role("bureau")
    assert roles.resolve("caiwu@h001.example.cn", {"roles": ["dip-bureau"]}) == Role("hospital", "H001")   # e-mail wins
    assert roles.resolve("x@h002.cn", {"roles": ["dip-h002", "unrelated"]}) == Role("hospital", "H002")
    assert roles.resolve("x@h002.cn", {"roles": ["/dip-h002"]}) == Role("hospital", "H002")     # Keycloak path
    assert roles.resolve("x@h002.cn", {"roles": "dip-view"}) == Role("viewer")                  # a single string
    assert roles.resolve(None, {"roles": ["dip-view"]}) == Role("viewer")
    assert roles.resolve("x@h002.cn", {"groups": ["dip-h002"]}) is None                        # another claim
    assert roles.resolve("nobody@x.cn", {}) is None and roles.resolve(None, None) is None
    assert roles.refusal("caiwu@h001.example.cn", {}) is None
    assert roles.refusal("nobody@x.cn", {}).key == "refused_not_listed"


def test_conflicting_groups_are_refused_never_widened(roles):
    claims = {"roles": ["dip-h002", "dip-bureau"]}
    assert roles.resolve("x@h002.cn", claims) is None
    why = roles.refusal("x@h002.cn", claims)
    assert why.key == "refused_conflict" and "bureau" in why and "hospital:H002" in why
    assert roles.resolve("x@h002.cn", {"roles": ["dip-view", "dip-view"]}) == Role("viewer")


def test_an_unverified_email_is_not_trusted(roles):
    claims = {"email_verified": False}
    assert roles.resolve("zhang.wei@ybj.example.cn", claims) is None
    assert roles.refusal("zhang.wei@ybj.example.cn", claims).key == "refused_unverified"
    assert roles.resolve("zhang.wei@ybj.example.cn", {"email_verified": True}) == Role("bureau")


def test_hospitals_checked_against_a_dataset(roles):
    warnings = roles.check_hospitals(["H001", "H003"])
    assert [w.values["hospital"] for w in warnings] == ["H002"]
    assert warnings[0].values["line"] == 9 and "H002" in warnings[0].text("zh")
    assert roles.check_hospitals(["H001", "H002"]) == []


BUREAU = User("b@ybj.cn", "B", Role("bureau"))
HOSPITAL = User("h@h001.cn", "H", Role("hospital", "H001"))
VIEWER = User("v@ybj.cn", "V", Role("viewer"))


def test_the_rights_table():
    assert all(can(BUREAU, a) for a in ACTIONS)
    assert {a for a in ACTIONS if can(HOSPITAL, a)} == {"see_cases", "export", "save_scenario", "present"}
    assert {a for a in ACTIONS if can(VIEWER, a)} == {"present"}
    for user, action in ((HOSPITAL, "import"), (HOSPITAL, "see_city_rows"), (VIEWER, "export"),
                         (VIEWER, "see_cases"), (HOSPITAL, "read_audit"), (HOSPITAL, "publish")):
        with pytest.raises(AccessDenied) as err:
            require(user, action)
        assert user.email in str(err.value) and err.value.text("zh") != str(err.value)
    with pytest.raises(DipError, match="unknown action"):
        can(BUREAU, "fly")


def test_check_hospital():
    check_hospital(HOSPITAL, "H001")
    check_hospital(BUREAU, "H002")
    check_hospital(VIEWER, "H002")
    with pytest.raises(AccessDenied) as err:
        check_hospital(HOSPITAL, "H002")
    assert "H002" in err.value.text("zh")


def test_the_local_user():
    local = User.local()
    assert local.role == Role("bureau") and local.email == "" and local.is_local
    assert local.name.text("zh") == "本机用户" and str(local.name) == "local user"
    assert all(can(local, a) for a in ACTIONS)
    assert User.local() == local
    with pytest.raises(Exception):
        local.email = "x"                                                # frozen
