"""Multi-language components expanded in the planner by running their provider's own implementation.

A program's ``pulumi_eks.Cluster`` is a *remote* component: under ``pulumi up`` the engine asks
the package's provider plugin to construct it, and the plugin registers the children with the
engine's resource monitor. The planner does the same offline: it starts the provider as a plugin
in the program's sandbox (:mod:`.provider_process`, :mod:`.plugin_host`), sends it the engine's own
``ConstructRequest``, and the children register over gRPC (:mod:`.grpc_monitor`) with the
planning monitor itself, so they follow the same preview rules as the program's own resources
(:mod:`.expander`). The provider comes from the plugin Pulumi installed (:mod:`.plugins`) or, for
releases that ship it there, from npm (:mod:`.npm_cache`, :mod:`.packages`).
docs/planner.md#multi-language-components.
"""
