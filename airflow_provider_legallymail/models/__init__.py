"""Typed results of the two APIs: dataclasses named after the API's fields, plus the raw JSON."""
