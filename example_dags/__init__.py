"""Example DAGs of the provider: each runs against the sandbox unchanged (``make demo``, tests/examples)."""
