"""One column of a page's values, with what the import's checks and its COPY both
ask of it (the kinds of its values, whether it holds nulls, its values without
them, its text joined) each worked out once, with a few list operations."""

from __future__ import annotations

import operator
from functools import cached_property, partial

NONE_TYPE = type(None)
_IS_VALUE = partial(operator.is_not, None)


class ColumnValues:
    def __init__(self, values: list, texts: list | None = None):
        self.values = values
        # The values' texts as PostgreSQL reads them (None for a null), when the CRM
        # sent them so (connectors.types.ColumnRecords.texts).
        self.texts = texts

    @cached_property
    def kinds(self) -> set[type]:
        """The exact types of the values (NoneType among them for a null)."""
        return set(map(type, self.values))

    @property
    def nulls(self) -> bool:
        return NONE_TYPE in self.kinds

    @cached_property
    def present(self) -> list:
        """The values that are not None (found by identity: comparing None with each
        value would be slow for Decimal)."""
        return list(filter(_IS_VALUE, self.values)) if self.nulls else self.values

    @cached_property
    def joined(self) -> str:
        """The present values joined into one text (text columns only)."""
        return "".join(self.present)
