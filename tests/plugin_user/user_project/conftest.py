"""A user's rootdir conftest: nothing; installing legallymail-sandbox enables its pytest plugin (entry point)."""
