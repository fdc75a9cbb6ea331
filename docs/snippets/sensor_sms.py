"""Send a certified SMS and wait until it is delivered: deferred, or in reschedule mode without a triggerer."""

from __future__ import annotations

# [START sensor_sms]
from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legallymail import SmsOperator
from airflow_provider_legallymail.sensors.legallymail import SmsSensor

with DAG(
    "sms_delivered",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 2},  # a failed SMS is final: the sensor fails at once, with no retry
) as dag:
    sms = SmsOperator(task_id="sms", phone="+34600000001", message="Your contract is ready to sign.")
    delivered = SmsSensor(task_id="delivered", uuid=sms.output, timeout=timedelta(hours=1))
    # [END sensor_sms]
    # [START sensor_sms_reschedule]
    delivered_without_triggerer = SmsSensor(
        task_id="delivered_without_triggerer",
        uuid=sms.output,
        deferrable=False,  # mode="reschedule": the worker slot is freed between pokes
        poke_interval=30,  # seconds between two checks
        timeout=timedelta(hours=1),
    )
    # [END sensor_sms_reschedule]
