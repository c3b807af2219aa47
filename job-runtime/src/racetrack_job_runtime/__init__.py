"""Racetrack python3 job runtime."""
