"""Real Airflow: api-server, scheduler, dag-processor and triggerer running the example DAGs (make test-airflow)."""
