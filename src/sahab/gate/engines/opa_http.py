"""HTTP to OPA with a deadline: each request, its retries and its whole body end by ``timeout``.

A ``requests`` timeout bounds each socket operation, not the request: a server that accepts and
never answers is asked again (urllib3 retries a GET after a read timeout), and one that sends a
byte every few seconds never times out at all. :class:`DeadlineSession` runs each request on a
helper thread and raises :class:`DeadlineExceeded` (a ``requests.Timeout``) when the deadline
passes, whatever the request was doing (resolving, connecting, reading), then shuts down the
sockets of its connections so the helper thread ends too. After a missed deadline the session
refuses every further request at once: a gate must not wait another full timeout for each
clean-up call to a server that stopped answering (the next load removes what was left).
"""
from __future__ import annotations

import socket
import threading
import weakref
from functools import partial
from typing import Any, Dict, Optional

import requests
from opa_client import OpaClient
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class DeadlineExceeded(requests.exceptions.Timeout):
    """The request did not complete (answer and body) within the session's deadline."""


class _Abandoned(Exception):
    """Raised in an abandoned request's thread instead of a new connection (no OSError: urllib3 retries those)."""


class DeadlineSession(requests.Session):
    """A ``requests.Session`` whose every request completes within ``deadline`` seconds or raises."""

    def __init__(self, deadline: float) -> None:
        super().__init__()
        self.deadline = deadline
        self.connections = _Connections()  # filled by TrackingAdapter

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if self.connections.closed:
            raise DeadlineExceeded("an earlier request to this server got no answer within %g s" % self.deadline)
        outcome: Dict[str, Any] = {}
        done = threading.Event()
        parent = super()

        def run() -> None:
            try:
                outcome["response"] = parent.request(method, url, *args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                outcome["error"] = exc
            finally:
                done.set()

        threading.Thread(target=run, name="sahab-opa-request", daemon=True).start()
        if not done.wait(self.deadline):
            self.connections.shut()
            raise DeadlineExceeded("no complete answer within %g s" % self.deadline)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["response"]


class _Connections:
    """The sockets of a session's connections (weakly held); once shut, no connection may be made."""

    def __init__(self) -> None:
        self._sockets: "weakref.WeakSet[socket.socket]" = weakref.WeakSet()
        self.closed = False

    def check_open(self) -> None:
        if self.closed:  # e.g. urllib3 retrying the abandoned request on a fresh connection
            raise _Abandoned("the request's deadline passed")

    def add(self, sock: socket.socket) -> None:
        self._sockets.add(sock)
        if self.closed:  # connected while the deadline passed
            _shutdown(sock)

    def shut(self) -> None:
        """Refuse new connections and shut every socket: the abandoned request's blocked read returns."""
        self.closed = True
        for sock in list(self._sockets):
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        # The plain socket's shutdown, also under TLS: it wakes the reader without touching
        # the TLS object that thread is using.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class _TrackedConnection:
    """Records its socket when it connects (http.client drops ``sock`` before a closing body is read)."""

    tracked: Optional[_Connections] = None

    def connect(self) -> None:
        if self.tracked is not None:
            self.tracked.check_open()
        super().connect()  # type: ignore[misc]
        if self.tracked is not None and self.sock is not None:  # type: ignore[attr-defined]
            self.tracked.add(self.sock)  # type: ignore[attr-defined]


class _TrackedHTTPConnection(_TrackedConnection, HTTPConnection):
    pass


class _TrackedHTTPSConnection(_TrackedConnection, HTTPSConnection):
    pass


class _Tracking:
    """A connection pool whose connections report their sockets to a session's ``connections``."""

    def __init__(self, tracked: _Connections, *args: Any, **kwargs: Any) -> None:
        self._tracked = tracked
        super().__init__(*args, **kwargs)

    def _new_conn(self) -> Any:
        connection = super()._new_conn()  # type: ignore[misc]
        connection.tracked = self._tracked
        return connection


class _TrackingHTTPPool(_Tracking, HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackingHTTPSPool(_Tracking, HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class TrackingAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose pools record their connections, so a deadline can shut them."""

    def __init__(self, tracked: _Connections, **kwargs: Any) -> None:
        self._tracked = tracked  # before super().__init__, which makes the pool manager
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": partial(_TrackingHTTPPool, self._tracked),
                                                   "https": partial(_TrackingHTTPSPool, self._tracked)}


class DeadlineOpaClient(OpaClient):
    """opa-python-client with a :class:`DeadlineSession`: ``timeout`` bounds each whole request."""

    def _init_session(self) -> requests.Session:
        template = super()._init_session()  # opa_client's headers (token), retries and TLS settings
        session = DeadlineSession(float(self.timeout))
        session.headers, session.verify, session.cert = template.headers, template.verify, template.cert
        for prefix, adapter in template.adapters.items():
            session.mount(prefix, TrackingAdapter(session.connections, max_retries=adapter.max_retries))
        template.close()
        return session
