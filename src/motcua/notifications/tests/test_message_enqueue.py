from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from motcua.notifications.fake_sms_gateway import FakeSmsGateway
from motcua.notifications.models import DeliveryStatus, Message
from motcua.notifications.services import message_enqueue, messages_deliver_due
from motcua.notifications.tests.conftest import MailRecorder, free_port

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def enqueue() -> list[Message]:
    return message_enqueue(
        topic="dossier.received",
        target_type="dossier",
        target_id="H01.01-261128-0002",
        subject="Tiếp nhận hồ sơ H01.01-261128-0002",
        body="Hồ sơ H01.01-261128-0002 đã được tiếp nhận.",
        email="tranthib@example.vn",
        phone="0987654321",
    )


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_run_outside_the_transaction_of_its_cause() -> None:
    with pytest.raises(RuntimeError):
        enqueue()


@pytest.mark.django_db
def test_it_delivers_once_the_transaction_commits(
    smtp_server: MailRecorder, sms_gateway: FakeSmsGateway, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue()
        assert smtp_server.received == [] and sms_gateway.accepted == []

    assert len(smtp_server.received) == 1
    assert len(sms_gateway.accepted) == 1
    assert set(Message.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_enqueues_nothing(settings: Any) -> None:
    settings.TASKS = DATABASE_BACKEND

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        enqueue()
        1 / 0  # noqa: B018

    assert Message.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_committed_transaction_enqueues_one_task_for_its_messages(settings: Any) -> None:
    settings.TASKS = DATABASE_BACKEND

    with transaction.atomic():
        messages = enqueue()

    [task] = DBTaskResult.objects.all()
    assert task.task_path == "motcua.notifications.tasks.deliver_messages"
    assert sorted(task.args_kwargs["args"][0]) == sorted(m.pk for m in messages)
    assert len(messages) == 2


@pytest.mark.django_db
def test_a_queue_that_is_down_leaves_the_messages_to_the_sweep(
    settings: Any,
    sms_gateway: FakeSmsGateway,
    smtp_server: MailRecorder,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{free_port()}/0"}}

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue()

    assert set(Message.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    assert messages_deliver_due() == 2
