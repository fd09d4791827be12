"""Model instances from the columns of one fixed SQL statement.

For a hot read that needs rows of two tables at once (an invoice and its
payment), `select_related` spends more Python building and compiling the
query than the database spends answering it. ModelColumns lists one model's
columns for a fixed statement and turns its part of a row back into an
instance, with the same conversions the ORM applies (a JSON column decoded,
SQLite's text dates and decimals parsed), so the statement runs on both
PostgreSQL and SQLite. Statement writes such a statement's column lists and
table names into its text once per process.
"""

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connection, connections
from django.db.models import Model
from django.db.models.expressions import Col
from django.utils.functional import cached_property

Converter = Callable[[Any, Any, Any], Any]
M = TypeVar("M", bound=Model)


class ModelColumns(Generic[M]):
    """All concrete columns of `model`, read under the table alias `alias`."""

    def __init__(self, model: type[M], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self.columns = [str(field.column) for field in self.fields]  # concrete: never None
        self._converters: dict[str, list[tuple[int, list[Converter], Col]]] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def select(self, using: str = "default") -> str:
        """The statement's column list for this model, in field order."""
        quote = connections[using].ops.quote_name
        return ", ".join(f"{self.alias}.{quote(column)}" for column in self.columns)

    def converters(self, using: str) -> list[tuple[int, list[Converter], Col]]:
        """What the ORM's compiler would run on each column, per connection."""
        if using not in self._converters:
            connection = connections[using]
            table = self.model._meta.db_table
            found = []
            for position, field in enumerate(self.fields):
                column = field.get_col(table)
                functions = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if functions:
                    found.append((position, functions, column))
            self._converters[using] = found
        return self._converters[using]

    def fetch(self, sql: str, params: Sequence[Any], using: str = "default") -> list[M]:
        """Run `sql`, whose columns are select(), and build an instance a row."""
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return [self.build(row, using) for row in cursor.fetchall()]

    def build(self, values: Sequence[Any], using: str = "default") -> M:
        """The instance for this model's slice of a row, as loaded by the ORM."""
        values = list(values)
        connection = connections[using]
        for position, functions, column in self.converters(using):
            value = values[position]
            for function in functions:
                value = function(value, column, connection)
            values[position] = value
        return self.model.from_db(using, self.attnames, values)


class Statement:
    """A fixed SQL statement whose {placeholders} name its parts: a
    ModelColumns becomes its column list, a model its quoted table name, a
    string itself (never one from a request). Filled in for the default
    database on first use and kept."""

    def __init__(self, template: str, **parts: "ModelColumns | type[Model] | str") -> None:
        self.template = template
        self.parts = parts

    @cached_property
    def sql(self) -> str:
        filled = {}
        for name, part in self.parts.items():
            if isinstance(part, ModelColumns):
                filled[name] = part.select()
            elif isinstance(part, str):
                filled[name] = part
            else:
                filled[name] = connection.ops.quote_name(part._meta.db_table)
        return self.template.format(**filled)
