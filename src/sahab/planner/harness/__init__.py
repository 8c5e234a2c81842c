"""The preview engine's two halves: what runs *inside* the program's interpreter, and the monitor.

In the program's process (loaded from this folder under a private name, so it may run in a foreign
virtualenv: standard library, protobuf and the Pulumi SDK the program depends on, Python
3.8+): ``run`` (entry point), ``channel`` (the stubs), ``introspection`` and ``shapes`` (describe
the SDK's types), ``standins`` and ``partial`` (partial values), ``transforms``.

In sahab's process (:mod:`sahab.planner.monitor_server` serves it; :mod:`sahab.testing` runs it
in-process): ``monitor`` and what it uses, ``catalog``, ``autonames``, ``invokes``, ``providers``,
``sources``, ``wire``. Everything else (regions, sorting, the plan document) is in the parent too.
"""
