"""One commit per request, at the edge.

Views and services change objects and flush; whether a request's changes are kept is decided
once, after the view has returned (:func:`finish_request`):

- a success or a redirect (status below 400) is committed;
- a refusal or an error (4xx, 5xx) is rolled back, and so is everything when an exception
  escapes the view and its error handlers (:func:`discard_after_exception`).

When the commit itself fails the client does not get the success response: the failure is
handled as if the view had raised it (database unreachable → the 503 page, anything else → 500).

A change that may be refused halfway, or may clash with another request's unique value, runs
in :func:`savepoint`: the refusal undoes only that change, and the view renders from the state
before it. The few requests that must commit in the middle — files written next to a row that
are removed again when the row cannot be saved, a token's last use kept on a 404 — call
:func:`commit_now` with the reason. Views never commit or roll back themselves.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, current_app, g
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db


def init_app(app: Flask) -> None:
    """Commit or roll back at the end of every request.

    Register it after the other after-request hooks: those run in reverse order, so this one
    runs first and the security headers and compression see the response it settled on.
    """
    app.before_request(start_request)
    app.after_request(finish_request)
    app.teardown_request(discard_after_exception)


def start_request() -> None:
    """Note that this request's changes are not settled yet."""
    g.transaction_open = True


def finish_request(response: Response) -> Response:
    """Commit a success or redirect, roll back anything else; a failed commit replaces the response."""
    g.pop("transaction_open", None)
    if not _session_in_use():
        return response
    if response.status_code >= 400:
        _roll_back()
        return response
    try:
        _commit_keeping_loaded_values()
    except SQLAlchemyError as error:
        _roll_back()
        # As if the view had raised it: a registered handler answers (OperationalError → 503),
        # otherwise the error goes on to Flask's 500 handling.
        return current_app.make_response(current_app.handle_user_exception(error))
    return response


def discard_after_exception(_error: BaseException | None) -> None:
    """An exception escaped the view and its handlers (the response was never settled): keep nothing.

    Only for requests that were dispatched: a request context a script or test pushes by hand
    (``test_request_context``) never reached :func:`start_request` and is left alone.
    """
    if g.pop("transaction_open", False) and _session_in_use():
        _roll_back()


def commit_now(reason: str) -> None:
    """Commit in the middle of the request; only for the few requests that must (``reason`` says why).

    On failure the transaction is rolled back and the error goes on, so that the caller can
    undo what lies outside the database (remove the files it wrote). The edge still commits
    what the request changes afterwards.
    """
    current_app.logger.debug("commit before the end of the request: %s", reason)
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


@contextmanager
def savepoint() -> Iterator[None]:
    """Run a change in a SAVEPOINT, flushed at the end of the block.

    When the block raises (a refusal, or IntegrityError from a unique value another request
    took a moment ago), only the change is undone and the exception goes on; the request's
    transaction stays usable, so the view can render the refusal. Make the change inside the
    block: what is pending before it is flushed first, outside the savepoint.
    """
    with db.session.begin_nested():
        yield


def _commit_keeping_loaded_values() -> None:
    """Commit without expiring the objects the request loaded.

    The response is rendered already, but a streamed body (the owner's photo archive) still
    reads the objects it was given after this commit; expired, each would be loaded again.
    """
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire_on_commit


def _session_in_use() -> bool:
    """True when this request opened a database session (static files and liveness do not)."""
    return db.session.registry.has()


def _roll_back() -> None:
    """Roll back; a connection that is already gone must not turn the response into a 500."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        current_app.logger.exception("rollback failed")
