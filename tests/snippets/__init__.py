"""Tests that run the DAG files the docs site includes (``docs/snippets/``) against the sandbox."""
