"""Who may see and change saved scenarios (the store only keeps owner and published):

    read     the owner, anyone when it is published (a shared link opens it read-only), the bureau always
    change   (rename, delete, overwrite) the bureau; the owner while it is not published — once the bureau
             has published it, only the bureau changes what others were shown
    publish  the bureau (rights: publish)

The local user (no sign-in) is the bureau with owner "": every scenario, as before owners existed."""
from __future__ import annotations

import pandas as pd

from ..data.store import Store
from ..messages import Message
from .rights import AccessDenied
from .roles import User


def _is_owner(user: User, owner: str) -> bool:
    return bool(user.email) and (owner or "").lower() == user.email.strip().lower()


def visible_scenarios(store: Store, user: User) -> pd.DataFrame:
    """store.list_scenarios() reduced to what `user` may open: their own and the published ones (the bureau:
    all), with a column `editable` (whether they may rename, delete or overwrite it)."""
    df = store.list_scenarios()
    if user.role.kind == "bureau":
        keep = pd.Series(True, index=df.index)
    else:
        mine = df["owner"].str.lower() == user.email.strip().lower() if user.email else \
            pd.Series(False, index=df.index)
        keep = mine | df["published"]
    out = df[keep].reset_index(drop=True)
    out["editable"] = [_may_edit(user, o, p) for o, p in zip(out["owner"], out["published"])]
    return out


def _may_edit(user: User, owner: str, published: bool) -> bool:
    if user.role.kind == "bureau":
        return True
    return user.role.kind != "viewer" and _is_owner(user, owner) and not published


def _read(user: User, owner: str, published: bool) -> bool:
    return user.role.kind == "bureau" or bool(published) or _is_owner(user, owner)


def can_read_scenario(store: Store, user: User, name: str) -> bool:
    """Whether `user` may open the scenario (a StoreError when there is none of that name)."""
    info = store.scenario_info(name)
    return _read(user, info["owner"], info["published"])


def require_scenario_read(store: Store, user: User, name: str) -> dict:
    """The scenario's info (Store.scenario_info) when `user` may open it, else AccessDenied — e.g. a
    scenario name in a link that is neither theirs nor published."""
    info = store.scenario_info(name)
    if not _read(user, info["owner"], info["published"]):
        raise AccessDenied(Message("access_scenario_read", user=user.who(), role=user.role.label(), name=name))
    return info


def can_edit_scenario(store: Store, user: User, name: str) -> bool:
    """Whether `user` may rename, delete or overwrite the scenario (module docstring)."""
    info = store.scenario_info(name)
    return _may_edit(user, info["owner"], info["published"])


def require_scenario_edit(store: Store, user: User, name: str) -> None:
    """AccessDenied unless `user` may rename, delete or overwrite the scenario; saving a new scenario needs the
    right save_scenario (check with require(user, "save_scenario"))."""
    if not can_edit_scenario(store, user, name):
        raise AccessDenied(Message("access_scenario_edit", user=user.who(), role=user.role.label(), name=name))
