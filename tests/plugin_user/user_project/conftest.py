"""A user's rootdir conftest: the sandbox's pytest plugin and nothing else."""

pytest_plugins = ["airflow_provider_legallymail.sandbox.pytest_plugin"]
