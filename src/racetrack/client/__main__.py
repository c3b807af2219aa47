"""``python -m racetrack.client`` runs the CLI."""

from racetrack.client.main import run

run()
