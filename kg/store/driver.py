"""The async driver and the boundary where driver exceptions become kg's own errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from neo4j import AsyncDriver, AsyncGraphDatabase
from neo4j.exceptions import (
    AuthError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from kg.config import Settings
from kg.errors import QueryTimeout, StoreError, StoreUnavailable

# What Neo4j answers when a transaction outlives its timeout (ours: KG_QUERY_TIMEOUT).
# What Neo4j answers a transaction caught by its own shutdown (the database goes away, or the
# transaction's locks are released under it): the same as an unreachable server to callers.
UNAVAILABLE_CODES = frozenset(
    {
        "Neo.TransientError.General.DatabaseUnavailable",
        "Neo.ClientError.Transaction.LockClientStopped",
    }
)
TIMEOUT_CODES = frozenset(
    {
        "Neo.ClientError.Transaction.TransactionTimedOut",
        "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
    }
)


def create_driver(settings: Settings) -> AsyncDriver:
    """One async driver per process; the entry point (API lifespan, CLI) owns and closes it."""
    return AsyncGraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
        max_connection_lifetime=3600,
        connection_acquisition_timeout=10.0,
        connection_timeout=5.0,
        # Managed transactions retry transient failures; past this a caller gets an error
        # rather than a request that hangs while Neo4j is down.
        max_transaction_retry_time=settings.neo4j_retry_s,
        # The store's statements are fixed and tested; the server's hints about property keys
        # that an empty graph does not have yet are noise in every log.
        notifications_min_severity="OFF",
    )


@contextmanager
def translated_errors(action: str) -> Iterator[None]:
    """Turn driver exceptions into StoreUnavailable / StoreError, keeping the cause."""
    try:
        yield
    except (ServiceUnavailable, SessionExpired) as exc:
        raise StoreUnavailable(f"Neo4j is unavailable while {action}: {exc}") from exc
    except AuthError as exc:
        raise StoreUnavailable(f"Neo4j refused the credentials while {action}") from exc
    except Neo4jError as exc:
        if exc.code in TIMEOUT_CODES:
            raise QueryTimeout(f"Neo4j ended a transaction that timed out while {action}") from exc
        if exc.code in UNAVAILABLE_CODES:
            raise StoreUnavailable(f"Neo4j is unavailable while {action}: {exc.code}") from exc
        raise StoreError(f"Neo4j failed while {action}: {exc.code}: {exc.message}") from exc
    except DriverError as exc:
        raise StoreError(f"the Neo4j driver failed while {action}: {exc}") from exc
