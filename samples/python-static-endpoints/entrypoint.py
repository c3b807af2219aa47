class JobEntrypoint:
    def perform(self, x: float, y: float) -> float:
        """Add two numbers."""
        return x + y

    def static_endpoints(self) -> dict[str, str | tuple[str, str]]:
        """Files served by GET /api/v1/<path>; paths are relative to the job directory."""
        return {
            "/xrai": "xrai.yaml",  # mimetype guessed from the extension (text/plain if unknown)
            "/manifest": ("job.yaml", "application/x-yaml"),  # explicit mimetype
            "/docs/readme": "README.md",
            "/assets": "assets",  # a directory: every file below it, e.g. /api/v1/assets/nested/data.json
        }
