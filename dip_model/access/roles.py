"""Roles and users: the roles file an administrator edits, and who a signed-in person is.

    # who may use the app; anyone signed in but not listed is refused
    group_claim: groups          # the ID-token claim holding the user's groups (default "groups")
    users:                       # by e-mail (case-insensitive)
      zhang.wei@ybj.example.cn: bureau
      caiwu@h001.example.cn: hospital:H001
    groups:                      # by a value of the group claim
      dip-h002: hospital:H002

Resolution (RoleMap.resolve): the e-mail first (only when the provider has not said it is unverified:
claim email_verified false); then the groups. A leading "/" of a group (Keycloak's full group path) is
ignored. Groups that give different roles are refused (never the wider one); the administrator then
gives that person a role by e-mail, which wins."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..errors import DipError
from ..messages import Items, Message

KINDS = ("bureau", "hospital", "viewer")
TOP_KEYS = ("group_claim", "users", "groups")
DEFAULT_CLAIM = "groups"


class RolesError(DipError):
    """The roles file cannot be used; the Message names the file, the line and the key."""


@dataclass(frozen=True)
class Role:
    kind: str                                  # bureau | hospital | viewer
    hospital_id: str | None = None             # hospital roles only

    def __post_init__(self):
        if self.kind not in KINDS or (self.kind == "hospital") != bool(self.hospital_id):
            raise RolesError(Message("role_parse", role=f"{self.kind}:{self.hospital_id or ''}"))

    @classmethod
    def parse(cls, text: Any) -> "Role":
        """"bureau", "viewer" or "hospital:<id>" (spaces around the parts ignored); RolesError otherwise."""
        if not isinstance(text, str):
            raise RolesError(Message("role_parse", role=repr(text)))
        kind, sep, hid = (part.strip() for part in text.strip().partition(":"))
        if kind == "hospital" and hid:
            return cls("hospital", hid)
        if kind in ("bureau", "viewer") and not sep:
            return cls(kind)
        raise RolesError(Message("role_parse", role=text))

    def __str__(self) -> str:
        return f"hospital:{self.hospital_id}" if self.kind == "hospital" else self.kind

    def label(self) -> Message:
        """The role as a user reads it, in either language."""
        if self.kind == "hospital":
            return Message("role_hospital", hospital=self.hospital_id)
        return Message(f"role_{self.kind}")


BUREAU = Role("bureau")


@dataclass(frozen=True)
class User:
    email: str
    name: str
    role: Role

    @classmethod
    def local(cls) -> "User":
        """The single user of an app without sign-in: full bureau powers, owner "" of what they save."""
        return cls("", Message("local_user"), BUREAU)

    @property
    def is_local(self) -> bool:
        return self.email == "" and self.role == BUREAU

    def who(self) -> str:
        """E-mail, or the name when there is none (the local user)."""
        return self.email or str(self.name)


@dataclass(frozen=True)
class RoleMap:
    users: Mapping[str, Role] = field(default_factory=dict)      # lower-case e-mail → role
    groups: Mapping[str, Role] = field(default_factory=dict)
    group_claim: str = DEFAULT_CLAIM
    source: str = ""
    lines: Mapping[str, int] = field(default_factory=dict)      # "users:<key>" / "groups:<key>" → line

    def _group_roles(self, claims: Mapping) -> dict[str, Role]:
        value = claims.get(self.group_claim) if isinstance(claims, Mapping) else None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            return {}
        found = {}
        for g in value:
            if isinstance(g, str):
                key = g.strip()
                key = key if key in self.groups else key.lstrip("/")
                if key in self.groups:
                    found[key] = self.groups[key]
        return found

    def _email(self, email: str | None, claims: Mapping) -> str | None:
        if not isinstance(email, str) or not email.strip():
            return None
        if isinstance(claims, Mapping) and claims.get("email_verified") is False:
            return None
        return email.strip().lower()

    def resolve(self, email: str | None, claims: Mapping | None = None) -> Role | None:
        """The role of a signed-in person (module docstring); None = refused."""
        claims = claims or {}
        key = self._email(email, claims)
        if key is not None and key in self.users:
            return self.users[key]
        roles = set(self._group_roles(claims).values())
        return roles.pop() if len(roles) == 1 else None

    def refusal(self, email: str | None, claims: Mapping | None = None) -> Message | None:
        """Why resolve refuses this person (for the refusal page), None when it does not."""
        claims = claims or {}
        if self.resolve(email, claims) is not None:
            return None
        who = email.strip() if isinstance(email, str) and email.strip() else Message("someone_unnamed")
        roles = sorted({str(r) for r in self._group_roles(claims).values()})
        if len(roles) > 1:
            return Message("refused_conflict", who=who, roles=Items(roles))
        if isinstance(email, str) and email.strip().lower() in self.users and claims.get("email_verified") is False:
            return Message("refused_unverified", who=who)
        return Message("refused_not_listed", who=who)

    def hospitals(self) -> set[str]:
        """Every hospital id the file names."""
        return {r.hospital_id for r in [*self.users.values(), *self.groups.values()] if r.hospital_id}

    def check_hospitals(self, known) -> list[Message]:
        """Warnings for hospital roles whose hospital is not among `known` (e.g. a dataset's ids)."""
        known = {str(k) for k in known}
        out = []
        for section, table in (("users", self.users), ("groups", self.groups)):
            for key, role in table.items():
                if role.hospital_id is not None and role.hospital_id not in known:
                    out.append(Message("roles_unknown_hospital", file=self.source, key=key,
                                       line=self.lines.get(f"{section}:{key}", "?"), hospital=role.hospital_id))
        return out


# ---------------------------------------------------------------- reading the file
def _fail(msg: str, /, **values) -> RolesError:
    return RolesError(Message(msg, **values))


def _mapping(node, file: str, what: str) -> list[tuple[Any, Any]]:
    if not isinstance(node, yaml.MappingNode):
        raise _fail("roles_not_mapping", file=file, line=node.start_mark.line + 1, what=Message(what))
    return node.value


def _scalar(node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _section(node, file: str, section: str) -> tuple[dict[str, Role], dict[str, int]]:
    out: dict[str, Role] = {}
    lines: dict[str, int] = {}
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
        return out, lines                      # "groups:" with nothing under it
    for k, v in _mapping(node, file, f"what_roles_{section}"):
        line = k.start_mark.line + 1
        raw = _scalar(k)
        key = (raw or "").strip()
        key = key.lower() if section == "users" else key
        valid = bool(key) and (section != "users" or ("@" in key and " " not in key))
        if not valid:
            raise _fail("roles_bad_key", file=file, line=line, key=raw if raw is not None else "?",
                        what=Message("what_email" if section == "users" else "what_group"))
        if key in out:
            raise _fail("roles_duplicate", file=file, line=line, key=key, first=lines[f"{section}:{key}"])
        text = _scalar(v)
        if text is not None and text.strip().partition(":")[0].strip() == "hospital" \
                and not text.strip().partition(":")[2].strip():
            raise _fail("roles_no_hospital", file=file, line=v.start_mark.line + 1, key=key)
        try:
            role = Role.parse(text)
        except RolesError:
            raise _fail("roles_bad_role", file=file, line=v.start_mark.line + 1, key=key,
                        role=text if text is not None else "…") from None
        out[key] = role
        lines[f"{section}:{key}"] = line
    return out, lines


def parse_roles(text: str, file: str = "roles.yaml") -> RoleMap:
    """A RoleMap from the text of a roles file; RolesError naming `file`, line and key when it is wrong."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        raise _fail("roles_yaml", file=file, reason=str(err)) from None
    if root is None:
        raise _fail("roles_empty", file=file)
    seen: dict[str, int] = {}
    users: dict[str, Role] = {}
    groups: dict[str, Role] = {}
    lines: dict[str, int] = {}
    claim = DEFAULT_CLAIM
    for k, v in _mapping(root, file, "what_roles_file"):
        line = k.start_mark.line + 1
        key = _scalar(k)
        if key not in TOP_KEYS:
            raise _fail("roles_top_key", file=file, line=line, key=key if key is not None else "?",
                        expected=Items(TOP_KEYS))
        if key in seen:
            raise _fail("roles_duplicate", file=file, line=line, key=key, first=seen[key])
        seen[key] = line
        if key == "group_claim":
            got = _scalar(v)
            if not got or not got.strip() or (v.tag and not v.tag.endswith(":str")):
                raise _fail("roles_bad_claim", file=file, line=line, got=got if got is not None else "…")
            claim = got.strip()
        else:
            table, where = _section(v, file, key)
            (users if key == "users" else groups).update(table)
            lines.update(where)
    if not users and not groups:
        raise _fail("roles_empty", file=file)
    return RoleMap(users, groups, claim, file, lines)


def load_roles(path) -> RoleMap:
    """The roles file at `path` (UTF-8, a BOM allowed); RolesError when it cannot be read or is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise _fail("roles_unreadable", file=str(path), reason=reason) from None
    return parse_roles(text, str(path))
