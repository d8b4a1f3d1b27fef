"""Compatibility profiles that reproduce peer tools exactly."""
