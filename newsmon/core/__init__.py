"""Shared bottom layer: the versioned article record, URL identity and typed settings."""
