"""Scenario ownership: the owner, another hospital's user, the bureau and a viewer; published scenarios; the
local user (no sign-in) sees and edits everything, as before owners existed."""
from __future__ import annotations

import pytest

from dip_model.access import (
    AccessDenied, Role, User, can_edit_scenario, can_read_scenario, require_scenario_edit, require_scenario_read,
    visible_scenarios,
)
from dip_model.data.store import Store

OWNER = User("caiwu@h001.cn", "H001 finance", Role("hospital", "H001"))
OTHER = User("caiwu@h002.cn", "H002 finance", Role("hospital", "H002"))
BUREAU = User("zhang@ybj.cn", "Zhang", Role("bureau"))
VIEWER = User("guest@ybj.cn", "Guest", Role("viewer"))


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "store.duckdb", timeout=5, linger=0)
    s.save_scenario("h001 draft", {"budget": {"growth_rate": 0.05}}, owner="CaiWu@H001.cn")
    s.save_scenario("h001 shared", {}, owner="caiwu@h001.cn")
    s.save_scenario("bureau draft", {}, owner="zhang@ybj.cn")
    s.save_scenario("bureau published", {}, owner="zhang@ybj.cn")
    s.save_scenario("local", {})
    s.publish_scenario("h001 shared", True)
    s.publish_scenario("bureau published", True)
    return s


def _names(df) -> set[str]:
    return set(df["name"])


def test_who_sees_which(store):
    assert _names(visible_scenarios(store, OWNER)) == {"h001 draft", "h001 shared", "bureau published"}
    assert _names(visible_scenarios(store, OTHER)) == {"h001 shared", "bureau published"}
    assert _names(visible_scenarios(store, VIEWER)) == {"h001 shared", "bureau published"}
    everything = {"h001 draft", "h001 shared", "bureau draft", "bureau published", "local"}
    assert _names(visible_scenarios(store, BUREAU)) == everything
    assert _names(visible_scenarios(store, User.local())) == everything
    for user in (OWNER, OTHER, VIEWER, BUREAU):
        seen = visible_scenarios(store, user)
        for name in store.scenario_names():
            assert can_read_scenario(store, user, name) == (name in set(seen["name"])), (user.email, name)


def test_who_may_change_which(store):
    mine = visible_scenarios(store, OWNER).set_index("name")["editable"].to_dict()
    assert mine == {"h001 draft": True, "h001 shared": False, "bureau published": False}
    assert not visible_scenarios(store, OTHER)["editable"].any()
    assert not visible_scenarios(store, VIEWER)["editable"].any()
    assert visible_scenarios(store, BUREAU)["editable"].all()
    require_scenario_edit(store, OWNER, "h001 draft")
    for name in store.scenario_names():
        require_scenario_edit(store, BUREAU, name)
        require_scenario_edit(store, User.local(), name)
    for user, name in ((OTHER, "h001 draft"), (VIEWER, "h001 draft"), (OWNER, "bureau draft"),
                       (OWNER, "h001 shared"), (OTHER, "h001 shared"), (OWNER, "local")):
        assert not can_edit_scenario(store, user, name)
        with pytest.raises(AccessDenied) as err:
            require_scenario_edit(store, user, name)
        assert name in err.value.text("zh")


def test_a_link_to_a_scenario(store):
    assert require_scenario_read(store, OTHER, "h001 shared")["owner"] == "caiwu@h001.cn"   # opens read-only
    assert not can_edit_scenario(store, OTHER, "h001 shared")
    with pytest.raises(AccessDenied):
        require_scenario_read(store, OTHER, "h001 draft")
    with pytest.raises(AccessDenied):
        require_scenario_read(store, VIEWER, "bureau draft")
    with pytest.raises(Exception, match="no saved scenario|no scenario"):
        require_scenario_read(store, BUREAU, "absent")


def test_a_viewer_cannot_save(store):
    with pytest.raises(AccessDenied):
        require_scenario_edit(store, VIEWER, "h001 shared")


def test_an_owner_without_email_owns_nothing(store):
    odd = User("", "nobody", Role("hospital", "H001"))
    assert _names(visible_scenarios(store, odd)) == {"h001 shared", "bureau published"}
    assert not can_edit_scenario(store, odd, "local")
