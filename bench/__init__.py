"""Side-by-side benchmarks of Racetrack's parts; ``python -m bench --help``. Figures: docs/benchmarks.md."""
