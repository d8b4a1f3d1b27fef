"""Compatibility profiles that reproduce peer tools exactly."""

#: ``--profile`` values.
PROFILES = ("cnt", "coortweet", "coornet")
