"""The scripted demo tour of the provider against the local sandbox (``python -m demo.tour``)."""
