"""Inference-input logging: the sidecar :class:`~sahab.components.kubernetes.ModelServing` runs beside MLServer.

MLServer does not log request payloads, so without this the drift job (:mod:`sahab.drift`) finds
no inputs. The sidecar is a reverse proxy on the pod's serving port: it forwards every request to
MLServer on localhost unchanged, returns MLServer's answer unchanged, and records the input tensors
of successful Open Inference Protocol (V2) requests as Parquet files in the layout
:mod:`sahab.drift.inputs` reads. Needs the ``sahab[drift]`` extra (pyarrow through pandas' Parquet
support, MLflow's artifact repositories); nothing on the plan/gate path imports this package.
One job per module:

* :mod:`.tensors`: a V2 inference request's input tensors turned into columns (one row per
  request element), or refused with a reason;
* :mod:`.buffer`: the bounded in-memory buffer (full means drop and count, never block);
* :mod:`.writer`: the flush loop, writing Parquet files through MLflow's artifact repository;
* :mod:`.metrics`: the sidecar's counters, served as Prometheus text on ``/metrics``;
* :mod:`.proxy`: the HTTP reverse proxy;
* ``python -m sahab.inference_log``: the sidecar's entry point.

Layout and limits: docs/components-kubernetes.md, "Model drift".
"""
