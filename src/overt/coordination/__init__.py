"""Coordination detection: detectors, the engine they run on, networks and clusters."""
