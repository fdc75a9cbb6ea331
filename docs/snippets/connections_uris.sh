# Connections as AIRFLOW_CONN_<CONN_ID> environment variables, in Airflow's URI form.
# Each line's comment gives the base URL the hook builds from it.

# [START connections_uri_real]
# -> https://legallymail.com (extras as query parameters)
export AIRFLOW_CONN_LEGALLYMAIL_DEFAULT='legallymail://:<token>@legallymail.com?timeout=20&max_retries=5'
# -> https://app.legitmailer.com
export AIRFLOW_CONN_LEGITMAILER_DEFAULT='legitmailer://:<api-key>@app.legitmailer.com'
# [END connections_uri_real]

# [START connections_uri_sandbox]
# -> http://127.0.0.1:8080/legallymail (loopback: http; the path is the API's prefix)
export AIRFLOW_CONN_LEGALLYMAIL_DEFAULT='legallymail://:<token>@127.0.0.1:8080/legallymail'
# -> http://127.0.0.1:8080/legitmailer
export AIRFLOW_CONN_LEGITMAILER_DEFAULT='legitmailer://:<api-key>@127.0.0.1:8080/legitmailer'
# [END connections_uri_sandbox]

# [START connections_uri_prefix]
# -> https://api.example.com/v2 (any other host: https)
export AIRFLOW_CONN_LEGALLYMAIL_GATEWAY='legallymail://:<token>@api.example.com/v2'
# -> http://127.0.0.1:8080/legallymail (the whole base URL, URL-encoded, as the host)
export AIRFLOW_CONN_LEGALLYMAIL_ENCODED='legallymail://:<token>@http%3A%2F%2F127.0.0.1%3A8080%2Flegallymail'
# [END connections_uri_prefix]
