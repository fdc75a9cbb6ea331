"""Waiting for outcomes, one module per job: the wait and its deadline (``wait``), the one decision
(``decision``), the ``settled`` target's tolerance (``tolerance``), reading the API (``observations``), the
shared poller (``poller``) and its policy and clock (``policy``), and the AssetWatcher side (``events``,
``event_source``, ``seen``). No module imports another in a circle (``tests/unit/test_layers.py``)."""
