"""The default escalation rules; the center edits them in the admin afterwards."""

from typing import Any

from django.db import migrations

# (name, subject, trigger, delay in working hours, who is told, by email, by SMS)
DEFAULT_RULES = [
    (
        "Bước sắp đến hạn: báo người xử lý",
        "step",
        "near_due",
        0,
        ["tell_assignee"],
        True,
        False,
    ),
    (
        "Bước quá hạn: báo người xử lý và lãnh đạo phòng",
        "step",
        "overdue",
        0,
        ["tell_assignee", "tell_department_head"],
        True,
        False,
    ),
    (
        "Bước quá hạn 8 giờ làm việc: báo lãnh đạo cơ quan",
        "step",
        "overdue",
        8,
        ["tell_agency_head"],
        True,
        True,
    ),
    (
        "Bước quá hạn 16 giờ làm việc: báo lãnh đạo Trung tâm",
        "step",
        "overdue",
        16,
        ["tell_center_leaders"],
        True,
        True,
    ),
    # The legal due date can pass while the step in progress is still within its own budget
    # (an earlier step ran late): what the applicant and the national statistics count.
    (
        "Hồ sơ quá hạn trả kết quả: báo lãnh đạo cơ quan và lãnh đạo Trung tâm",
        "dossier",
        "overdue",
        0,
        ["tell_agency_head", "tell_center_leaders"],
        True,
        False,
    ),
]


def seed(apps: Any, schema_editor: Any) -> None:
    rule_model = apps.get_model("supervision", "EscalationRule")
    for name, subject, trigger, delay, audiences, by_email, by_sms in DEFAULT_RULES:
        if rule_model.objects.filter(name=name).exists():
            continue
        rule_model.objects.create(
            name=name,
            subject=subject,
            trigger=trigger,
            delay_hours=delay,
            by_email=by_email,
            by_sms=by_sms,
            **dict.fromkeys(audiences, True),
        )


def unseed(apps: Any, schema_editor: Any) -> None:
    rule_model = apps.get_model("supervision", "EscalationRule")
    names = [rule[0] for rule in DEFAULT_RULES]
    rule_model.objects.filter(name__in=names, alerts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0001_alerts_and_urges"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
