"""Which requests are writes: :func:`match_write` maps a method and path to its
:class:`WriteRoute` (the action, the endpoint as counted, the ids the path names)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from simulator.mockapi.problems import path_id

__all__ = ["WriteRoute", "match_write"]


@dataclass(frozen=True, slots=True)
class WriteRoute:
    """A write endpoint a request matched."""

    action: str
    endpoint: str
    #: The path's session id; None when the body names it (agent methods) or the queue does.
    session_id: int | None = None
    method: str = "POST"
    agent: bool = False
    first_in_queue: bool = False
    to_associate: str = ""


_REST_ACTIONS: Final = {
    "pickup": ("pickup", "Pickup"),
    "reset": ("reset", "Reset"),
    "accepttransfer": ("accept-transfer", "AcceptTransfer"),
    "rejecttransfer": ("reject-transfer", "RejectTransfer"),
}
_AGENT_METHODS: Final = {
    name.lower(): (action, name)
    for action, name in (
        ("message", "AddChatMessage"),
        ("pickup", "PickUpChatSession"),
        ("pickup", "PickUpFirstChatSession"),
        ("reset", "ResetChatSession"),
        ("transfer", "TransferChatSession"),
        ("accept-transfer", "AcceptChatSessionTransfer"),
        ("reject-transfer", "RejectChatSessionTransfer"),
        ("save", "SaveChatSessionEntity"),
    )
}


def match_write(method: str, parts: tuple[str, ...]) -> WriteRoute | None:
    """The write endpoint of a request (``parts``: the lower-cased segments after ``/api/v1``).

    None when the request is no write; the reads keep ``GET`` on the shared paths.
    """
    if len(parts) == 3 and parts[:2] == ("agents", "chat") and parts[2] in _AGENT_METHODS:
        action, name = _AGENT_METHODS[parts[2]]
        first = parts[2] == "pickupfirstchatsession"
        return WriteRoute(action, f"Agents/Chat/{name}", agent=True, first_in_queue=first)
    if not parts or parts[0] != "chatsession":
        return None
    if parts == ("chatsession", "pickup"):
        return WriteRoute("pickup", "POST ChatSession/Pickup", first_in_queue=True)
    if len(parts) == 2 and method in ("PUT", "PATCH"):
        return WriteRoute("save", f"{method} ChatSession/{{id}}", path_id(parts[1]), method=method)
    if len(parts) == 3 and parts[2] == "messages" and method == "POST":
        return WriteRoute("message", "POST ChatSession/{id}/Messages", path_id(parts[1]))
    if len(parts) == 3 and parts[2] in _REST_ACTIONS:
        action, label = _REST_ACTIONS[parts[2]]
        return WriteRoute(action, f"POST ChatSession/{{id}}/{label}", path_id(parts[1]))
    if len(parts) == 4 and parts[2] == "transferto":
        endpoint = "POST ChatSession/{id}/TransferTo/{toAssociate}"
        return WriteRoute("transfer", endpoint, path_id(parts[1]), to_associate=parts[3])
    return None
