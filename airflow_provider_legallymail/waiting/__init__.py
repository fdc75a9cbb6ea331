"""Waiting for outcomes: the wait spec, the one decision, and the shared poller behind the triggers."""
