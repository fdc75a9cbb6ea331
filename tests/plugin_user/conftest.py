"""``user_project/`` is a user's own test suite, run by ``test_plugin_user.py`` in a pytest of its own: its
rootdir conftest declares ``pytest_plugins``, which pytest refuses in a conftest below this suite's root."""

collect_ignore = ["user_project"]
