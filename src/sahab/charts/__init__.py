"""Third-party Helm charts: render them offline from a local chart cache, or say why not."""
