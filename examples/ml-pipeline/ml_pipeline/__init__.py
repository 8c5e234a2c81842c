"""sahab's ML pipeline, end to end on one machine (examples/ml-pipeline/README.md).

One module per stage of pipelines/github/ml-pipeline.yml: :mod:`.data` (generate and validate),
:mod:`.train`, :mod:`.evaluate` (holdout), :mod:`.evidence` (holdout benchmark, data drift,
fairness audit on the model version), :mod:`.canary` (a local stand-in for the Argo analysis);
:mod:`.pipeline` runs them in order and calls ``sahab.promote`` between them.
"""
