"""Pydantic types every API schema uses for input the database must be able to hold.

`StorableDatetime` is a datetime PostgreSQL can store and Python can read back: an offset
within PostgreSQL's ±15:59 and a moment between years 1 and 9999 once in UTC (pydantic alone
takes "+20:00", and "9999-12-31T23:00-05:00", which is year 10000 in UTC).

`Omittable[T]` is a field of a partial update (PATCH) that may be left out but never sent as
null: the column behind it is NOT NULL. Fields whose column takes null stay `T | None`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

# PostgreSQL refuses a UTC offset of 16 hours or more ("time zone displacement out of range").
MAX_UTC_OFFSET = timedelta(hours=16)
T = TypeVar("T")


def storable_datetime(value: datetime) -> datetime:
    """The moment as an aware datetime (naive means UTC, as Django reads it with TIME_ZONE
    UTC). Raises ValueError naming what is wrong when PostgreSQL could not hold it."""
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    offset = moment.utcoffset() or timedelta(0)
    if abs(offset) >= MAX_UTC_OFFSET:
        raise ValueError("The UTC offset must be between -15:59 and +15:59.")
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("The moment must fall between the years 1 and 9999 in UTC.") from None
    return moment


def _checked_datetime(value: datetime) -> datetime:
    try:
        return storable_datetime(value)
    except ValueError as error:
        raise PydanticCustomError("datetime_out_of_range", str(error)) from None


StorableDatetime = Annotated[datetime, AfterValidator(_checked_datetime)]


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError(
            "null_not_allowed", "Leave the field out to keep its value; it cannot be null."
        )
    return value


@dataclass(frozen=True)
class _SentNotNull:
    """Validates `T | None` as `T` when the field is sent (its None default is for "left
    out"), and documents it as `T`, so the OpenAPI spec does not promise null."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_refuse_null, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        options = [
            option for option in json_schema.get("anyOf", []) if option.get("type") != "null"
        ]
        if not options:
            return json_schema
        rest = {key: value for key, value in json_schema.items() if key != "anyOf"}
        return {**options[0], **rest} if len(options) == 1 else {"anyOf": options, **rest}


Omittable = Annotated[T | None, _SentNotNull()]
