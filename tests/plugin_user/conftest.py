"""``user_project/`` is a user's own test suite, run by ``test_plugin_user.py`` in a pytest of its own, with
nothing but the installed sandbox distribution's plugin."""

collect_ignore = ["user_project"]
