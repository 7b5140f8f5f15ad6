"""kg's own error types. Driver and parser exceptions become these at their boundary."""

from __future__ import annotations


class KgError(Exception):
    """Base of every error kg raises on purpose."""


class InvalidArticle(KgError):
    """An article file or text that cannot be parsed; the message names the file and the problem."""


class InvalidDocument(KgError):
    """An interchange document that breaks the schema or the article it describes."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listed = "\n  - ".join(problems)
        super().__init__(f"{source}: {len(problems)} problem(s):\n  - {listed}")


class StoreError(KgError):
    """Neo4j refused or failed an operation."""


class StoreUnavailable(StoreError):
    """Neo4j cannot be reached (down, wrong address, wrong credentials)."""


class QueryTimeout(StoreError):
    """A read took longer than the transaction timeout (KG_QUERY_TIMEOUT) and Neo4j ended it."""


class Neo4jServerError(KgError):
    """The local Neo4j server could not be provisioned, started or stopped."""


class ExportError(KgError):
    """The graph holds something the chosen export form cannot carry."""
