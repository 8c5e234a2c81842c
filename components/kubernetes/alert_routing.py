"""Where the platform's alerts go: one Alertmanager receiver whose URL stays in the secret store.

Pure rendering, no Pulumi: :class:`~.monitoring.Monitoring` writes :meth:`AlertReceiver.config`
as the chart's ``alertmanager.config``, mounts the receiver's Secret into the Alertmanager pods
and opens :meth:`AlertReceiver.egress`; a test reads the exact configuration.

A Slack or Teams webhook URL is a credential (whoever has it can post), and a webhook URL may
carry a token. Alertmanager reads each of these from a file (``url_file``, ``api_url_file``,
``webhook_url_file``: prometheus/alertmanager v0.34.0 ``docs/configuration.md``, the version
kube-prometheus-stack 88.5.3 ships), so the URL is never in the chart values, the plan or the
Pulumi state: ESO copies it from the cloud's secret store into the Secret :data:`RECEIVER_SECRET`,
which the Prometheus Operator mounts at ``/etc/alertmanager/secrets/<secret>/``
(``alertmanagerSpec.secrets``).

The route sends every alert to the receiver, grouped by alert name and namespace (one message
per failing thing, not one per pod), except the chart's ``Watchdog`` (an always-firing heartbeat
meant for an external dead man's switch), which stays on the ``null`` receiver as the chart has
it. The chart's inhibit rules and template folder are kept (Helm merges these values over the
chart's ``alertmanager.config``; lists set here replace the chart's).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Sequence

from ..validation import ComponentInputError, require_choice, require_cidrs, require_non_empty, require_port
from .namespace import Allow, Port
from .secrets import RemoteRef

# Receiver kind -> (its list in an Alertmanager receiver, the field naming the URL's file).
RECEIVER_KINDS: Mapping[str, tuple] = {
    "webhook": ("webhook_configs", "url_file"),
    "slack": ("slack_configs", "api_url_file"),
    "msteamsv2": ("msteamsv2_configs", "webhook_url_file"),
}
RECEIVER_SECRET = "alertmanager-receiver"
RECEIVER_SECRET_KEY = "url"
SECRETS_DIR = "/etc/alertmanager/secrets"
RECEIVER = "platform"
NULL_RECEIVER = "null"
GROUP_BY = ("alertname", "namespace")

_DURATION = re.compile(r"^[1-9]\d*(s|m|h)$")


@dataclass(frozen=True)
class AlertReceiver:
    """Where alerts go and how Alertmanager reaches it.

    * ``kind``: ``webhook`` (any HTTPS endpoint taking Alertmanager's webhook JSON, e.g. an
      incident gateway), ``slack`` (an incoming webhook) or ``msteamsv2`` (a Teams Workflows webhook).
    * ``url``: a :class:`~.secrets.RemoteRef` to the URL in the cloud's secret store, never the URL.
    * ``cidrs``/``port``: the networks of the endpoint; Alertmanager may connect to exactly these.
    * ``group_wait``/``group_interval``/``repeat_interval``: Alertmanager's route timing
      (the chart's values by default).
    """

    kind: str
    url: RemoteRef
    cidrs: Sequence[str]
    port: int = 443
    group_wait: str = "30s"
    group_interval: str = "5m"
    repeat_interval: str = "12h"

    def validate(self, component: str, argument: str = "alert_receiver") -> "AlertReceiver":
        where = "%s.%%s" % argument
        require_choice(component, where % "kind", self.kind, RECEIVER_KINDS)
        if not isinstance(self.url, RemoteRef):
            # The type, never the value: a URL passed here is a credential and must not reach the logs.
            raise ComponentInputError(
                "%s: %s must be a RemoteRef to the URL in the cloud's secret store (never the URL); got a %s"
                % (component, where % "url", type(self.url).__name__))
        if isinstance(self.cidrs, str):
            raise ComponentInputError("%s: %s must be a list of CIDR blocks, got the string %r" % (component, where % "cidrs", self.cidrs))
        require_non_empty(component, where % "cidrs", list(self.cidrs))
        require_cidrs(component, where % "cidrs", list(self.cidrs), private_only=False)
        require_port(component, where % "port", self.port)
        for key in ("group_wait", "group_interval", "repeat_interval"):
            value = getattr(self, key)
            if not isinstance(value, str) or not _DURATION.match(value):
                raise ComponentInputError("%s: %s %r must be a duration such as '30s', '5m' or '12h'" % (component, where % key, value))
        return self

    @property
    def url_file(self) -> str:
        """Where Alertmanager reads the URL: the mounted Secret's key."""
        return "%s/%s/%s" % (SECRETS_DIR, RECEIVER_SECRET, RECEIVER_SECRET_KEY)

    def config(self) -> Dict[str, Any]:
        """The chart's ``alertmanager.config``: one route to the receiver, URL from the file."""
        configs, url_field = RECEIVER_KINDS[self.kind]
        return {
            "route": {
                "receiver": RECEIVER,
                "group_by": list(GROUP_BY),
                "group_wait": self.group_wait,
                "group_interval": self.group_interval,
                "repeat_interval": self.repeat_interval,
                "routes": [{"receiver": NULL_RECEIVER, "matchers": ['alertname = "Watchdog"']}],
            },
            "receivers": [
                {"name": NULL_RECEIVER},
                {"name": RECEIVER, configs: [{url_field: self.url_file, "send_resolved": True}]},
            ],
        }

    def egress(self, pods: Mapping[str, str]) -> List[Allow]:
        """Alertmanager's ``pods`` to the receiver's networks, on its port only."""
        return [Allow("alert-receiver-%d" % index, ports=[Port(self.port)], pods=dict(pods), cidr=cidr)
                for index, cidr in enumerate(self.cidrs)]
