"""Shared core: errors, logging, semantic versions. No I/O, no web framework."""
