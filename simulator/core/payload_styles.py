"""The payload's spelling options (a scenario's ``payload:`` section, the renderer's
PayloadOptions): one Literal each, for the scenario's checks and the renderer's types alike.
Kept apart from both so that loading a scenario does not import the renderer's data types."""

from typing import Literal

KeyStyle = Literal["pascal", "camel"]
IdStyle = Literal["mixed", "int"]
AliasStyle = Literal["string", "int"]
BoolStyle = Literal["bool", "int"]
ChangedChanges = Literal["empty", "fields"]
TimestampDigits = Literal["7", "trim"]
HeaderSpelling = Literal["canonical", "reference"]
BodyLayout = Literal["compact", "indented"]
