"""The input-logging sidecar of a ModelServing pod: the evidence a DriftMonitor judges.

MLServer does not log request payloads. With :class:`InputLogging`, each serving pod runs
:mod:`sahab.inference_log` (``python -m sahab.inference_log``, from an image with
``sahab[drift]``, images/inference-log) beside MLServer: a reverse proxy on the pod's serving
port, with MLServer moved to :data:`UPSTREAM_HTTP_PORT` behind it, that returns MLServer's
answers unchanged and writes the input tensors of successful V2 inference requests to
``<inputs_uri>/<model>/<version>/<YYYY-MM-DD>/*.parquet`` (:mod:`sahab.drift.inputs`). The
sidecar is built with :mod:`.workload`'s secure defaults and runs as its own UID (not MLServer's),
with its own size-limited scratch folder; its counters are on :data:`METRICS_PORT`.

Its only storage credential is the pod's workload identity, which must be allowed to write the
``<inputs_uri>/<model>/`` prefix (AWS: a ``BucketPrefixAccess`` with ``read_only=False`` on
that prefix; the reference stacks grant exactly that). The proxy speaks REST only, so a logging
``ModelServing`` publishes no gRPC port (docs/components-kubernetes.md, "Model drift").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import pulumi
import pulumi_kubernetes as k8s

from ..validation import ComponentInputError, is_whole
from .images import Image, require_image
from .workload import Resources, http_probe, scratch_volume, secure_container

# MLServer's REST port behind the proxy (never in a Service: clients reach the proxy).
UPSTREAM_HTTP_PORT = 8090
UPSTREAM_PORT_NAME = "mlserver-http"
METRICS_PORT = 8083
METRICS_PORT_NAME = "inputs-metrics"
COMMAND = ("python", "-m", "sahab.inference_log")
HOME = "/tmp"
SCRATCH = "inputs-scratch"
SCRATCH_SIZE = "1Gi"

_INPUTS = re.compile(
    r"^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
    r"|wasbs://[a-z0-9][a-z0-9-]{1,61}[a-z0-9]@[a-z0-9]{3,24}\.blob\.core\.windows\.net)(/[A-Za-z0-9_.\-/]*)?$")


def require_inputs_uri(component: str, value: object) -> None:
    """The root of the inputs layout in the artifact store; a deploy-time value is checked by the job."""
    if not isinstance(value, pulumi.Output) and (not isinstance(value, str) or not _INPUTS.match(value)):
        raise ComponentInputError(
            "%s: inputs_uri %r must be s3://<bucket>/<prefix> or wasbs://<container>@<account>.blob.core.windows.net/<path>, "
            "the root the serving side logs inputs under" % (component, value))


@dataclass(frozen=True)
class InputLogging:
    """Log the served model's inputs under ``inputs_uri`` (the DriftMonitor's ``inputs_uri``).

    A flush writes every ``flush_seconds``, or once ``flush_rows`` rows wait; at most
    ``max_rows`` rows are held in memory (more are dropped and counted, never queued).
    """

    inputs_uri: pulumi.Input[str]
    image: Image
    flush_seconds: int = 60
    flush_rows: int = 1000
    max_rows: int = 20000
    resources: Resources = field(default_factory=lambda: Resources("100m", "256Mi", "500m", "768Mi"))

    def validate(self, component: str, argument: str) -> "InputLogging":
        require_inputs_uri(component, self.inputs_uri)
        require_image(component, argument + ".image", self.image)
        for key, low, high in (("flush_seconds", 5, 3600), ("flush_rows", 1, 1_000_000), ("max_rows", 1, 1_000_000)):
            value = getattr(self, key)
            if not is_whole(value) or not low <= value <= high:
                raise ComponentInputError("%s: %s.%s must be a whole number from %d to %d, got %r" % (component, argument, key, low, high, value))
        if self.flush_rows > self.max_rows:
            raise ComponentInputError(
                "%s: %s.flush_rows (%d) must not exceed max_rows (%d), the most rows held in memory"
                % (component, argument, self.flush_rows, self.max_rows))
        if not isinstance(self.resources, Resources):
            raise ComponentInputError("%s: %s.resources must be a Resources, got %r" % (component, argument, self.resources))
        self.resources.validate(component, argument + ".resources")
        return self

    def arguments(self, model_uri: str, listen_port: int) -> List[pulumi.Input[str]]:
        """The arguments of ``python -m sahab.inference_log`` in the pod."""
        return ["--model-uri", model_uri, "--inputs-uri", self.inputs_uri, "--listen-port", str(listen_port),
                "--upstream-port", str(UPSTREAM_HTTP_PORT), "--metrics-port", str(METRICS_PORT),
                "--flush-seconds", str(self.flush_seconds), "--flush-rows", str(self.flush_rows), "--max-rows", str(self.max_rows)]

    def sidecar(self, *, model_uri: str, listen_port: int, listen_port_name: str, tracking_uri: str,
                credentials_volume: Optional[str]) -> Tuple[k8s.core.v1.ContainerArgs, k8s.core.v1.VolumeArgs]:
        """The container and its scratch volume. It reads MLflow (an alias's version) with the
        same read-only credentials file as MLServer, when there is one."""
        env: Dict[str, pulumi.Input[str]] = {"MLFLOW_TRACKING_URI": tracking_uri, "HOME": HOME, "TMPDIR": HOME,
                                             "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONDONTWRITEBYTECODE": "1"}
        mounts = [k8s.core.v1.VolumeMountArgs(name=SCRATCH, mount_path=HOME)]
        if credentials_volume is not None:
            mounts.append(k8s.core.v1.VolumeMountArgs(name=credentials_volume, mount_path=HOME + "/.mlflow", read_only=True))
        container = secure_container(
            "inputs-log", self.image.reference, self.resources, command=COMMAND,
            args=self.arguments(model_uri, listen_port), env=env,
            ports={listen_port_name: listen_port, METRICS_PORT_NAME: METRICS_PORT}, volume_mounts=mounts,
            # Alive while its own server answers; ready while MLServer is (readiness passes through).
            liveness=http_probe("/metrics", METRICS_PORT_NAME, initial_delay=10, period=10),
            readiness=http_probe("/v2/health/ready", listen_port_name, initial_delay=10, period=5))
        return container, scratch_volume(SCRATCH, SCRATCH_SIZE)
