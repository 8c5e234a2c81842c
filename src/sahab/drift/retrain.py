"""Retraining on drift: the job asks GitHub to run the retraining workflow, once per drifted version.

Alertmanager cannot do this itself (its webhook body is fixed and is not a GitHub request), and
the job holds the verdict, so the job sends GitHub's "Create a repository dispatch event"
(``POST {api}/repos/{owner}/{repo}/dispatches``, answered ``204 No Content``) with
``{"event_type": ..., "client_payload": {"model", "version", "drifted_columns", "share"}}``.

Once per version, across checks and pods: after a 204 the version gets the tag
:data:`DISPATCHED_TAG` (the time), and a version carrying it is never dispatched again; the tags
are read fresh from the registry before each dispatch, not from the check's copy. A dispatch that
fails (GitHub answers anything but 204, or cannot be reached) sets no tag, counts
``sahab_drift_retrain_dispatch_failures_total``, logs one line, and is sent again at the next
check that still finds drift; the verdict itself is already written by then.

The token is read from a file (a mounted Secret) at each dispatch, so a rotated token is picked up
without a restart; it goes only into the ``Authorization`` header, never into a log line, a tag,
a metric or an error. Redirects are not followed: urllib would replay the header to the new host.

Standard library only: the DriftMonitor component imports the argument patterns from here.
"""
from __future__ import annotations

import datetime
import ipaddress
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Optional

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from .detect import DriftVerdict
    from .metrics import DriftMetrics

LOG = logging.getLogger("sahab.drift")
DISPATCHED_TAG = "sahab.drift.retrain_dispatched"  # registry.TAG_PREFIX + "retrain_dispatched"
DEFAULT_EVENT_TYPE = "model-drift"
DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TIMEOUT_SECONDS = 30
# GitHub's owner and repository names; event_type is at most 100 characters (GitHub's limit),
# kept to a plain alphabet so it is safe in a workflow's `types:` list.
REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
EVENT_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
# https://api.github.com or a GitHub Enterprise Server's https://<host>[:port]/api/v3.
API_URL = re.compile(r"^https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(/[A-Za-z0-9_.-]+)*$")
API_URL_HINT = ("must be https://api.github.com or a GitHub Enterprise Server's https://<host>/api/v3 "
                "(the token is sent in a header: never plain http)")
_PAYLOAD_COLUMNS = 100  # client_payload stays small; the full list is in the version's tags


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx surfaces as an HTTPError: a failed dispatch, header never replayed


def _is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_url_problem(url: str) -> Optional[str]:
    """Why ``url`` cannot be the API base, or None. https only (the token travels in a header);
    plain http only to a loopback address (a local test double or relay on the same host)."""
    if isinstance(url, str) and (API_URL.match(url) or (url.startswith("http://") and _is_loopback(url))):
        return None
    return API_URL_HINT


@dataclass(frozen=True)
class RetrainConfig:
    """Where to dispatch: ``repository`` (``owner/repo``), ``event_type``, the API base, and the
    file holding a token allowed to create dispatches there (contents: write on that repository)."""

    repository: str
    token_file: str
    event_type: str = DEFAULT_EVENT_TYPE
    api_url: str = DEFAULT_API_URL

    @property
    def endpoint(self) -> str:
        return "%s/repos/%s/dispatches" % (self.api_url.rstrip("/"), self.repository)


def dispatch_body(config: RetrainConfig, model: str, version: str, verdict: "DriftVerdict") -> Dict[str, Any]:
    """The request body: the event type and what the workflow may want to know about the drift."""
    return {"event_type": config.event_type,
            "client_payload": {"model": model, "version": int(version),
                               "drifted_columns": list(verdict.drifted_columns[:_PAYLOAD_COLUMNS]),
                               "share": verdict.share}}


class DispatchFailed(Exception):
    """GitHub did not accept the dispatch; the message never holds the token."""


def send_dispatch(config: RetrainConfig, body: Dict[str, Any]) -> None:
    """POST the dispatch; returns on 204, raises :class:`DispatchFailed` otherwise."""
    try:
        token = Path(config.token_file).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise DispatchFailed("cannot read the token file %s: %s" % (config.token_file, error.strerror)) from None
    if not token:
        raise DispatchFailed("the token file %s is empty" % config.token_file)
    request = urllib.request.Request(config.endpoint, data=json.dumps(body).encode("utf-8"), method="POST", headers={
        "Accept": "application/vnd.github+json", "Authorization": "Bearer " + token,
        "X-GitHub-Api-Version": API_VERSION, "Content-Type": "application/json", "User-Agent": "sahab-drift"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        raise DispatchFailed("GitHub answered %d%s" % (error.code, _github_message(error, token))) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DispatchFailed("cannot reach %s: %s" % (config.api_url, str(reason).replace(token, "***"))) from None
    if status != 204:
        raise DispatchFailed("GitHub answered %d, not 204" % status)


def _github_message(error: urllib.error.HTTPError, token: str) -> str:
    """GitHub's own ``message`` (e.g. "Bad credentials"), one line, never the token."""
    try:
        message = json.loads(error.read(4096).decode("utf-8")).get("message", "")
    except (ValueError, AttributeError, OSError):
        return ""
    message = str(message).replace(token, "***").splitlines()[0][:200] if message else ""
    return ": %s" % message if message else ""


def maybe_dispatch(config: RetrainConfig, client: "MlflowClient", model: str, version: str, verdict: "DriftVerdict",
                   metrics: "DriftMetrics", now: datetime.datetime) -> bool:
    """Dispatch retraining for a drifted ``version`` not dispatched yet; True when sent now.

    A failure is counted and logged, never raised: the verdict is already published, and the
    next check retries."""
    if not verdict.dataset_drift:
        return False
    tags = client.get_model_version(model, version).tags or {}
    if DISPATCHED_TAG in tags:
        return False
    try:
        send_dispatch(config, dispatch_body(config, model, version, verdict))
    except DispatchFailed as error:
        metrics.record_dispatch_failure()
        LOG.warning("retraining dispatch for %s version %s to %s failed: %s; retried at the next check",
                    model, version, config.repository, error)
        return False
    client.set_model_version_tag(model, version, DISPATCHED_TAG, now.isoformat(timespec="seconds"))
    LOG.info("retraining dispatched for %s version %s to %s (%s)", model, version, config.repository, config.event_type)
    return True
