"""Storing enforcement records: each change in one transaction with its audit event."""
