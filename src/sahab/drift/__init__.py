"""Model-drift detection: the job :class:`~sahab.components.kubernetes.DriftMonitor` runs per served model.

Needs the ``sahab[drift]`` extra (Evidently, pandas<3, MLflow); nothing on the plan/gate path
imports this package. One job per module:

* :mod:`.detect`: Evidently's ``DataDriftPreset`` on a reference and a current sample, turned
  into a :class:`~.detect.DriftVerdict` (share and names of drifted columns, Evidently's own
  per-column verdicts) and an HTML/JSON report;
* :mod:`.inputs`: the recent inference inputs, read from the artifact store's documented layout;
* :mod:`.registry`: the model version's reference data (an artifact of its run) and the verdict
  written back to MLflow (model version tags, a run with metrics and the report);
* :mod:`.metrics`: the drift metric in Prometheus's text format, served on ``/metrics``;
* :mod:`.retrain`: a GitHub ``repository_dispatch`` once per drifted version (retraining on drift);
* :mod:`.job`: one check, and the loop the pod runs (``python -m sahab.drift``).

The conventions (where reference data and inputs live, metric names) are in
docs/components-kubernetes.md, "Model drift".
"""
