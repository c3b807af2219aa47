"""The CLI commands, one module per group: deploy, jobs, auth, settings, server."""
