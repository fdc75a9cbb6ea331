"""The example DAGs (example_dags/): they import cleanly and run to success against the sandbox."""
