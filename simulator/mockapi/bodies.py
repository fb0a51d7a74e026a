"""The write endpoints' bodies: validating a ``ChatMessage``, and saving a ``ChatSessionEntity``
from a PUT body, a JSON Merge Patch or a JSON Patch (``PATCH ChatSession/{id}``: "JSON PATCH
supports operations 'add', 'replace', 'remove' and 'test'. The path is case insensitive, and the
leading slash is optional"; move and copy are refused). Every wrong value is a 400 that names the
property; a failed ``test`` is the documented 409. Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final, TypeVar

import jsonpatch
import jsonpointer

from simulator.core.events import SessionFields
from simulator.mockapi.problems import Problem, bad_request, conflict
from simulator.mockapi.shapes import ENDED_STATUSES, AgentRecord, SessionView, login_name
from simulator.superoffice import facts as so

__all__ = [
    "MessageSpec",
    "check_int",
    "find_agent",
    "json_dict",
    "json_patch",
    "lowered",
    "merge",
    "message_spec",
    "saved_fields",
]

S = so.ChatSessionStatus
T = so.ChatMessageType
ST = so.ChatMessageSpecialType
E = TypeVar("E", bound=IntEnum)
_INT32: Final = 2**31


# --- messages -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """A validated ChatMessage body: what the write adds (its id and WhenPosted come later)."""

    kind: so.ChatMessageType
    text: str
    author: str | None
    special: so.ChatMessageSpecialType
    param: str


def message_spec(body: Mapping[str, Any], session_id: int) -> MessageSpec:
    if body.get("type") is None:
        raise bad_request("The ChatMessage needs Type: ToCustomer, ToUser or Special")
    kind = enum_member(T, body["type"], "Type")
    if kind is T.Invalid:
        raise bad_request("Type must be ToCustomer, ToUser or Special, not Invalid")
    text = body.get("message")
    if text is None and kind is not T.Special:
        raise bad_request("The ChatMessage needs Message (the text)")
    special = ST.None_
    if body.get("specialtype") is not None:
        special = enum_member(ST, body["specialtype"], "SpecialType")
    param = "" if body.get("specialparam") is None else check_string(body["specialparam"], "SpecialParam")
    if special is ST.Options and not _is_json_array(param):
        raise bad_request("SpecialParam of an Options message must be a JSON array of options")
    for name in ("chatmessageid", "readbycustomer"):
        if body.get(name) is not None:
            check_int(body[name], name)
    if body.get("whenposted") is not None:
        check_string(body["whenposted"], "WhenPosted")
    inner = body.get("chatsessionid")
    if inner is not None and check_int(inner, "ChatSessionId") not in (0, session_id):
        raise bad_request(f"The ChatMessage's ChatSessionId {inner} is not ChatSession {session_id}")
    author = None if body.get("author") is None else check_string(body["author"], "Author")
    return MessageSpec(kind, "" if text is None else check_string(text, "Message"), author, special, param)


def _is_json_array(text: str) -> bool:
    try:
        return isinstance(json.loads(text), list)
    except (ValueError, RecursionError):
        return False


def enum_member(enum: type[E], value: Any, name: str) -> E:
    """An enum member from its API name (any case) or its number, as .NET's converter takes it."""
    if isinstance(value, str):
        wanted = value.strip().lower()
        for member in enum:
            if wanted == getattr(member, "api_name", member.name).lower() or wanted == str(member.value):
                return member
    elif isinstance(value, int) and not isinstance(value, bool):
        for member in enum:
            if member.value == value:
                return member
    names = ", ".join(getattr(member, "api_name", member.name) for member in enum)
    raise bad_request(f"{name} {json.dumps(value)[:80]} is not one of {names}")


def check_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{name} must be an integer")
    if not -_INT32 <= value < _INT32:
        raise bad_request(f"{name} {value} is out of range")
    return value


def check_string(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string")
    return value


def check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise bad_request(f"{name} must be true or false")
    return value


def json_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"{what} must be a JSON object")
    return value


def lowered(body: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key).lower(): value for key, value in body.items()}


def find_agent(agents: Iterable[AgentRecord], wanted: str) -> AgentRecord | None:
    """An agent by associate id or user name ("Associate username or associate id")."""
    text = wanted.strip()
    for agent in agents:
        if text == str(agent.associate_id) or text.lower() == login_name(agent).lower():
            return agent
    return None


# --- saving the entity -------------------------------------------------------------------------------

#: Writable scalar properties: the SessionFields field and the JSON type.
_SCALARS: Final = {
    "TopicId": ("topic_id", check_int),
    "CustomerAlias": ("customer_alias", check_string),
    "CustomerConsented": ("consented", check_bool),
    "AlertLevel": ("alert_level", check_int),
    "ChatbotIsActive": ("chatbot_is_active", check_bool),
    "Rating": ("rating", check_int),
}
#: Linked records: the carrier's id property and the SessionFields field.
_LINKS: Final = {
    "Person": ("PersonId", "customer_id"),
    "Contact": ("ContactId", "contact_id"),
    "Project": ("ProjectId", "project_id"),
    "Sale": ("SaleId", "sale_id"),
    "Ticket": ("TicketId", "ticket_id"),
}
_PATCH_OPS: Final = ("add", "replace", "remove", "test")


def saved_fields(
    view: SessionView, entity: Mapping[str, Any], touched: Iterable[str], agents: tuple[AgentRecord, ...]
) -> tuple[SessionFields, AgentRecord | None]:
    changes: dict[str, Any] = {}
    transfer_to = view.transfer_to
    for key in dict.fromkeys(touched):
        value = entity.get(key)
        if key == "Status":
            changes["status"] = enum_member(S, value, "Status")
            if changes["status"] is S.Invalid:
                raise bad_request("Status Invalid cannot be saved")
        elif key in _SCALARS:
            attribute, check = _SCALARS[key]
            changes[attribute] = check(value, key)
        elif key in _LINKS:
            id_name, attribute = _LINKS[key]
            changes[attribute] = _carrier_id(value, key, id_name)
        elif key == "User":
            user = _associate(value, "User", agents)
            changes["user_id"] = user.user_id if user is not None else 0
        elif key == "TransferTo":
            transfer_to = _associate(value, "TransferTo", agents)
    fields = view.fields._replace(**changes)
    if fields.status in ENDED_STATUSES:
        transfer_to = None
    return fields, transfer_to


def _carrier_id(value: Any, key: str, id_name: str) -> int:
    if value is None:
        return 0
    carrier = lowered(json_dict(value, key))
    if carrier.get(id_name.lower()) is None:
        raise bad_request(f"{key} needs {id_name} (or null to unlink)")
    return max(0, check_int(carrier[id_name.lower()], f"{key}/{id_name}"))


def _associate(value: Any, key: str, agents: tuple[AgentRecord, ...]) -> AgentRecord | None:
    if value is None:
        return None
    carrier = lowered(json_dict(value, key))
    associate_id = carrier.get("associateid")
    if associate_id is not None and check_int(associate_id, f"{key}/AssociateId"):
        found = find_agent(agents, str(associate_id))
    elif carrier.get("ejuserid") is not None:
        user_id = check_int(carrier["ejuserid"], f"{key}/EjUserId")
        found = next((agent for agent in agents if agent.user_id == user_id), None)
    else:
        raise bad_request(f"{key} needs AssociateId or EjUserId (or null)")
    if found is None:
        raise bad_request(f"{key} is not a chat agent of the scenario")
    return found


def _key_of(entity: Mapping[str, Any], name: str) -> str:
    """The entity property ``name`` names, case-insensitively (the PATCH page: paths are)."""
    wanted = name.strip().lower()
    for key in entity:
        if key.lower() == wanted:
            return key
    raise bad_request(f"ChatSessionEntity has no property {name[:80]!r}")


def merge(entity: dict[str, Any], changes: Mapping[str, Any], *, strict: bool) -> list[str]:
    """Set each property of ``changes`` (a PUT body or a JSON Merge Patch); return their keys.

    A PUT ignores names the entity does not have, as .NET's deserializer does; a merge patch,
    turned into JSON Patch operations, refuses them.
    """
    touched = []
    for raw, value in changes.items():
        try:
            key = _key_of(entity, str(raw))
        except Problem:
            if strict:
                raise
            continue
        current = entity.get(key)
        if strict and isinstance(value, dict) and isinstance(current, dict):
            merged = dict(current)
            for name, item in value.items():
                if item is None:
                    merged.pop(name, None)
                else:
                    merged[name] = item
            value = merged
        entity[key] = value
        touched.append(key)
    return touched


def json_patch(entity: dict[str, Any], operations: list[Any]) -> list[str]:
    """Apply JSON Patch operations (add, replace, remove, test; move and copy refused) in order;
    return the top-level properties they touched.

    RFC 6902 itself (pointer escapes, ``test`` equality, where each op may go) is jsonpatch's;
    sosim puts SuperOffice's reading of the paths in front: a property matches case-insensitively
    and the leading slash is optional, a path reaches at most one member into a carrier
    (``/Ticket/TicketId``), ``add``/``replace`` into an unset carrier creates it, a member the
    carrier lacks reads as null, and ``remove`` of a top-level property sets it to null (an entity
    keeps every property). A failed ``test`` is 409, any other bad operation 400.
    """
    touched: list[str] = []
    for index, operation in enumerate(operations):
        fields = lowered(json_dict(operation, f"JSON Patch operation {index}"))
        op, path = fields.get("op"), fields.get("path")
        if op in ("move", "copy"):
            raise bad_request(f"JSON Patch operation {index}: {op!r} is not supported")
        if op not in _PATCH_OPS:
            raise bad_request(f"JSON Patch operation {index}: op must be add, replace, remove or test")
        if not isinstance(path, str) or not path.strip().strip("/"):
            raise bad_request(f"JSON Patch operation {index}: path must name a ChatSessionEntity property")
        if op != "remove" and "value" not in fields:
            raise bad_request(f"JSON Patch operation {index}: {op} needs a value")
        try:
            segments = jsonpointer.JsonPointer("/" + path.strip().lstrip("/")).parts
        except jsonpointer.JsonPointerException as error:
            raise bad_request(f"JSON Patch path {path[:80]!r}: {error}") from None
        if len(segments) > 2:
            raise bad_request(f"JSON Patch path {path[:80]!r} is too deep")
        key = _key_of(entity, segments[0])
        pointer = [key]
        if len(segments) == 2:
            parent = entity.get(key)
            if parent is None and op in ("add", "replace"):
                _apply_op(entity, {"op": "replace", "path": _pointer(key), "value": {}}, path)
                parent = entity[key]
            if not isinstance(parent, dict):
                raise bad_request(f"JSON Patch path {path[:80]!r}: {key} has no members")
            member = next((k for k in parent if k.lower() == segments[1].lower()), None)
            pointer.append(segments[1] if member is None else member)
            # A member the carrier lacks reads as null: replace sets it, remove has nothing to do,
            # and a test for null passes.
            if member is None and op == "replace":
                op = "add"
            elif member is None and (op == "remove" or (op == "test" and fields.get("value") is None)):
                touched += [key] if op == "remove" else []
                continue
        elif op == "remove":
            op, fields["value"] = "replace", None
        step = {"op": op, "path": _pointer(*pointer)}
        if op != "remove":
            step["value"] = fields.get("value")
        _apply_op(entity, step, path)
        if op != "test":
            touched.append(key)
    return touched


def _pointer(*names: str) -> str:
    return str(jsonpointer.JsonPointer.from_parts(names).path)


def _apply_op(entity: dict[str, Any], step: dict[str, Any], path: str) -> None:
    """One RFC 6902 operation on ``entity`` in place, by jsonpatch; its errors as the API's answers."""
    try:
        jsonpatch.JsonPatch([step]).apply(entity, in_place=True)
    except jsonpatch.JsonPatchTestFailed:
        value = json.dumps(step.get("value"))[:80]
        raise conflict(f"JSON Patch test failed: {path[:80]} is not {value}") from None
    except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException) as error:
        raise conflict(f"JSON Patch {step['op']} {path[:80]!r}: {error}") from None
    except jsonpatch.JsonPatchException as error:
        raise bad_request(f"JSON Patch {step['op']} {path[:80]!r}: {error}") from None
