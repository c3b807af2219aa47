"""Built-in infrastructure targets, each a plugin registered through the ``racetrack`` entry point group."""
