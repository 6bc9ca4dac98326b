"""What each role may do. The table is in dip_model/access/__init__.py; `own` marks a right that holds for
the user's own hospital only (the filtered views of dip_model.access.views enforce that part)."""
from __future__ import annotations

from ..errors import DipError
from ..messages import Items, Message
from .roles import User

ACTIONS = ("see_city_rows", "see_cases", "import", "publish", "read_audit", "export", "manage_datasets",
           "save_scenario", "present")

RIGHTS: dict[str, frozenset[str]] = {
    "bureau": frozenset(ACTIONS),
    "hospital": frozenset({"see_cases", "export", "save_scenario", "present"}),      # own hospital only
    "viewer": frozenset({"present"}),
}


class AccessDenied(DipError):
    """The signed-in user may not do this; the Message says who, as what, and what was refused."""


def _known(action: str) -> None:
    if action not in ACTIONS:
        raise DipError(Message("access_unknown_action", action=str(action), known=Items(ACTIONS)))


def can(user: User, action: str) -> bool:
    """Whether the user's role allows `action` (one of ACTIONS; an unknown action is an error, not False)."""
    _known(action)
    return action in RIGHTS[user.role.kind]


def require(user: User, action: str) -> None:
    """AccessDenied unless can(user, action)."""
    if not can(user, action):
        raise AccessDenied(Message("access_denied", user=user.who(), role=user.role.label(),
                                   action=Message(f"action_{action}")))


def may_see_hospital(user: User, hospital_id: str) -> bool:
    """Bureau and viewer see every hospital's hospital-level rows; a hospital user only its own."""
    if user.role.kind == "hospital":
        return str(hospital_id) == user.role.hospital_id
    return True


def check_hospital(user: User, hospital_id: str) -> None:
    """AccessDenied when the user may not see this hospital (e.g. ?hospital=H002 in a hospital user's URL)."""
    if not may_see_hospital(user, hospital_id):
        raise AccessDenied(Message("access_other_hospital", user=user.who(), role=user.role.label(),
                                   hospital=str(hospital_id)))
