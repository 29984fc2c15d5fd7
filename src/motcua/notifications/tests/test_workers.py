"""The delivery task through real workers: django-tasks-db's db_worker and RQ on real Redis."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.management import call_command
from django.db import transaction
from django.tasks import TaskResultStatus
from django_rq.management.commands.rqworker import Command as RqWorkerCommand
from django_tasks_db.models import DBTaskResult

from motcua.notifications.fake_sms_gateway import FakeSmsGateway
from motcua.notifications.models import DeliveryStatus, Message
from motcua.notifications.services import message_enqueue
from motcua.notifications.tasks import deliver_due_messages

pytestmark = pytest.mark.django_db(transaction=True)


def enqueue_sms() -> Message:
    with transaction.atomic():
        [message] = message_enqueue(
            topic="dossier.received",
            target_type="dossier",
            target_id="H01.01-261128-0003",
            body="Hồ sơ H01.01-261128-0003 đã được tiếp nhận.",
            phone="0905123456",
        )
    return message


def test_the_db_worker_delivers_the_message(settings: Any, sms_gateway: FakeSmsGateway) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    message = enqueue_sms()
    assert sms_gateway.accepted == []

    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)

    assert Message.objects.get(pk=message.pk).status == DeliveryStatus.SENT
    assert len(sms_gateway.accepted) == 1
    [task] = DBTaskResult.objects.all()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert task.return_value == [DeliveryStatus.SENT]


@pytest.fixture
def rq_redis(settings: Any) -> Iterator[str]:
    """A Redis database of its own for this xdist worker's queue, emptied before and after."""
    # Databases 1+ hold the cache of each xdist worker (see src/motcua/conftest.py); the queues
    # take them from 8 on.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = f"redis://127.0.0.1:6379/{8 + int(worker.removeprefix('gw') or 0)}"
    connection = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.ConnectionError:
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    connection.flushdb()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    settings.RQ_QUEUES = {"default": {"URL": url}}
    yield url
    connection.flushdb()
    connection.close()


@pytest.mark.redis
def test_the_rq_worker_delivers_the_message(rq_redis: str, sms_gateway: FakeSmsGateway) -> None:
    message = enqueue_sms()
    assert sms_gateway.accepted == []

    # SimpleWorker runs the job in this process: a forked work horse would share the test
    # database connection with its parent.
    call_command(
        RqWorkerCommand(),
        "default",
        "--burst",
        "--job-class=django_tasks_rq.Job",
        "--worker-class=rq.worker.SimpleWorker",
        verbosity=0,
    )

    assert Message.objects.get(pk=message.pk).status == DeliveryStatus.SENT
    assert len(sms_gateway.accepted) == 1


def test_the_sweep_task_sends_what_is_due(sms_gateway: FakeSmsGateway) -> None:
    # Enqueued while the queue is the database, which no worker serves here: the sweep sends it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("motcua.notifications.services._enqueue_delivery", lambda message_ids: None)
        enqueue_sms()

    result = deliver_due_messages.enqueue()

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    assert len(sms_gateway.accepted) == 1


def test_the_command_sends_what_is_due(sms_gateway: FakeSmsGateway) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("motcua.notifications.services._enqueue_delivery", lambda message_ids: None)
        enqueue_sms()

    output = io.StringIO()
    call_command("deliver_messages", stdout=output)

    assert output.getvalue() == "1 message(s) sent\n"
    assert len(sms_gateway.accepted) == 1
