"""Helpers and fixtures that a topic's unit and end-to-end tests share."""
