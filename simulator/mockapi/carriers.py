"""The nested carriers of ``ChatSessionEntity``, key for key as the reference documents them:
``Associate`` (the agent), ``Person``, ``Contact``, ``Project``, ``Sale`` and ``Ticket``.

Filled where sosim knows the record and built by :func:`simulator.mockapi.shapes.session_entity`;
see :mod:`simulator.mockapi.shapes` for the choices where the docs leave room.
"""

from __future__ import annotations

from simulator.core.events import CustomerProfile, SessionFields
from simulator.mockapi.records import UNSET_DATE, AgentRecord, JsonObject, SessionView, format_date

__all__ = [
    "associate",
    "contact",
    "login_name",
    "person",
    "project",
    "sale",
    "ticket",
]


def _carrier_tail() -> JsonObject:
    return {"TableRight": {}, "FieldProperties": {}}


def associate(agent: AgentRecord) -> JsonObject:
    """The ``Associate`` carrier of ``User``: an internal user with the agent's names."""
    parts = agent.name.split()
    login = login_name(agent)
    formal = f"{parts[-1]}, {' '.join(parts[:-1])}" if len(parts) > 1 else agent.name
    return {
        "AssociateId": agent.associate_id,
        "Name": login,
        "PersonId": 0,
        "Rank": 1,
        "Tooltip": agent.name,
        "Type": "InternalAssociate",
        "GroupIdx": 0,
        "FullName": agent.name,
        "FormalName": formal,
        "Deleted": False,
        "EjUserId": agent.user_id,
        "UserName": login,
        **_carrier_tail(),
    }


def login_name(agent: AgentRecord) -> str:
    """The agent's ``Name``/``UserName``: the initials of the full name (``U{ejuser id}`` if none)."""
    return "".join(part[0] for part in agent.name.split()).upper() or f"U{agent.user_id}"


def person(fields: SessionFields, profile: CustomerProfile) -> JsonObject:
    """The ``Person`` carrier of a known customer (``CustomerId`` is a person id)."""
    first, _, last = profile.name.partition(" ")
    company = profile.company if fields.contact_id else ""
    return {
        "Position": "",
        "PersonId": fields.customer_id,
        "Mrmrs": "",
        "Firstname": first,
        "Lastname": last,
        "MiddleName": "",
        "Title": "",
        "Description": "",
        "Email": profile.email,
        "FullName": profile.name,
        "DirectPhone": profile.phone,
        "FormalName": f"{last}, {first}" if last else first,
        "CountryId": 0,
        "ContactId": fields.contact_id,
        "ContactName": company,
        "Retired": 0,
        "Rank": 1,
        "ActiveInterests": 0,
        "ContactDepartment": "",
        "ContactCountryId": 0,
        "ContactOrgNr": "",
        "FaxPhone": "",
        "MobilePhone": "",
        "ContactPhone": "",
        "AssociateName": "",
        "AssociateId": 0,
        "UsePersonAddress": False,
        "ContactFax": "",
        "Kanafname": "",
        "Kanalname": "",
        "Post1": "",
        "Post2": "",
        "Post3": "",
        "EmailName": profile.email,
        "ContactFullName": company,
        "ActiveErpLinks": 0,
        "TicketPriorityId": 0,
        "SupportLanguageId": 0,
        "SupportAssociateId": 0,
        "CategoryName": "",
        **_carrier_tail(),
    }


def contact(contact_id: int, profile: CustomerProfile | None) -> JsonObject:
    """The ``Contact`` carrier (the customer's company)."""
    name = profile.company if profile else ""
    return {
        "ContactId": contact_id,
        "Name": name,
        "OrgNr": "",
        "Department": "",
        "URL": "",
        "City": "",
        "DirectPhone": "",
        "AssociateId": 0,
        "CountryId": 0,
        "EmailAddress": "",
        "Kananame": "",
        "EmailAddressName": "",
        "URLName": "",
        "AssociateFullName": "",
        "BusinessName": "",
        "CategoryName": "",
        "CountryName": "",
        "Address": None,
        "FormattedAddress": "",
        "FullName": name,
        "IsOwnerContact": False,
        "ActiveErpLinks": 0,
        **_carrier_tail(),
    }


def project(project_id: int) -> JsonObject:
    """The ``Project`` carrier of a linked project (sosim knows only its id)."""
    return {
        "ProjectId": project_id,
        "Name": f"Project {project_id}",
        "Description": "",
        "URL": "",
        "Type": "",
        "AssociateId": 0,
        "AssociateFullName": "",
        "TypeId": 0,
        "Updated": UNSET_DATE,
        "StatusId": 0,
        "Status": "",
        "TextId": 0,
        "PublishTo": UNSET_DATE,
        "PublishFrom": UNSET_DATE,
        "IsPublished": False,
        "URLName": "",
        "ProjectNumber": str(project_id),
        "ActiveErpLinks": 0,
        **_carrier_tail(),
    }


def sale(sale_id: int, contact_id: int, person_id: int) -> JsonObject:
    """The ``Sale`` carrier of a linked sale (sosim knows only its id): an open sale."""
    return {
        "ContactName": "",
        "SaleDate": UNSET_DATE,
        "SaleId": sale_id,
        "Probability": 0,
        "Title": f"Sale {sale_id}",
        "Amount": 0.0,
        "Currency": "",
        "ProjectName": "",
        "AssociateFullName": "",
        "Description": "",
        "Status": "Open",
        "WeightedAmount": 0.0,
        "ProjectId": 0,
        "EarningPercent": 0.0,
        "Earning": 0.0,
        "ContactId": contact_id,
        "AssociateId": 0,
        "PersonId": person_id,
        "SaleTypeId": 0,
        "SaleTypeName": "",
        "PersonFullName": "",
        "Completed": "Incomplete",
        "ActiveErpLinks": 0,
        "NextDueDate": UNSET_DATE,
        "Number": str(sale_id),
        **_carrier_tail(),
    }


def ticket(ticket_id: int, view: SessionView, profile: CustomerProfile | None) -> JsonObject:
    """The ``Ticket`` carrier of a linked ticket, created when the chat ended."""
    first, _, last = profile.name.partition(" ") if profile else ("", "", "")
    when = format_date(view.ended_ticks)
    owner = view.user
    return {
        "TicketId": ticket_id,
        "Title": view.messages[0].text[:100] if view.messages else f"Chat {view.session_id}",
        "CreatedAt": when,
        "LastChanged": when,
        "ReadByOwner": UNSET_DATE,
        "ReadByCustomer": UNSET_DATE,
        "FirstReadByUser": UNSET_DATE,
        "Activate": UNSET_DATE,
        "ClosedAt": UNSET_DATE,
        "RepliedAt": UNSET_DATE,
        "AlertTimeout": UNSET_DATE,
        "Deadline": UNSET_DATE,
        "CreatedBy": owner.user_id if owner else 0,
        "CreatedByName": owner.name if owner else "",
        "Author": profile.name if profile else "",
        "OwnedBy": owner.user_id if owner else 0,
        "OwnedByName": owner.name if owner else "",
        "Category": 0,
        "CategoryName": "",
        "CategoryFullname": "",
        "Slevel": "External",
        "Priority": 0,
        "PriorityName": "",
        "BaseStatus": "Active",
        "TicketStatus": 0,
        "TicketStatusDisplayValue": "",
        "Origin": "Chat",
        "CustId": view.fields.customer_id,
        "PersonFirstname": first,
        "PersonMiddleName": "",
        "PersonLastname": last,
        "PersonFullname": profile.name if profile else "",
        "AlertLevel": 0,
        "ConnectId": 0,
        "ReadStatus": "Green",
        "TimeToReply": 0,
        "RealTimeToReply": 0,
        "TimeToClose": 0,
        "RealTimeToClose": 0,
        "TimeSpentInternally": 0,
        "TimeSpentExternally": 0,
        "TimeSpentQueue": 0,
        "RealTimeSpentInternally": 0,
        "RealTimeSpentExternally": 0,
        "RealTimeSpentQueue": 0,
        "HasAttachment": False,
        "NumReplies": 0,
        "NumMessages": 0,
        "FromAddress": profile.email if profile else "",
        "ContactId": view.fields.contact_id,
        "ContactName": profile.company if profile and view.fields.contact_id else "",
        "OwnedByAssociateId": owner.associate_id if owner else 0,
        **_carrier_tail(),
    }
