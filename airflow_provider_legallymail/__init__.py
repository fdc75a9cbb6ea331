"""Apache Airflow provider for LegallyMail (certified email, e-signature, SMS) and Legitmailer.

Kept import-light on purpose: DAG files import this package on every parse.
"""

__version__ = "0.1.0"
