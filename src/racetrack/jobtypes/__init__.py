"""Built-in job types, each a plugin registered through the ``racetrack`` entry point group."""
