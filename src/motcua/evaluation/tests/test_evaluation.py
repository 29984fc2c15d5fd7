"""The evaluation of procedure handling on the reporting scenario (reports/tests/scenario.py),
against points worked out by hand from the dossiers' events; the classes at their bounds; and
the entry of the points a person gives, with its refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.audit.models import Event
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.evaluation.models import EvaluationEntry, Grade, Indicator
from motcua.evaluation.rules import INDICATORS, field_of, grade_of
from motcua.evaluation.selectors import (
    NOT_EVALUATED,
    dossier_evaluation,
    evaluated_dossiers,
    evaluation_summary,
)
from motcua.evaluation.services import evaluation_entry_clear, evaluation_entry_set
from motcua.reports.periods import Period
from motcua.reports.selectors import ReportScope
from motcua.reports.tests.scenario import END_OF_FEBRUARY, at, build

FEBRUARY = Period.of("month", 2027, 2)
JANUARY = Period.of("month", 2027, 1)
ALL = ReportScope()
N = None

# The dossiers that ended in February (scenario.py): J1 J2 J4 F1 F2 F3 F8 (police, residence,
# offered full online) and F7 (land renewal, offered partially online). Indicators in order:
# 1 total time (early 2 / on time 1 / late 0: J2 late, F8 sent back twice, F2 on time);
# 2 agencies late (J2: two police steps late, one agency; F2: phat_hanh late): 1, else 2;
# 3 contacts: F7 one supplement request (1), F8 two (0), else 2; 4 and 5: all received and
# returned through the center (F2 online, F3 by post): 2; 6 every version was published: 2;
# 7 attitude from the overall rating: F1 very satisfied 2, J4 satisfied 1, F7 dissatisfied 0,
# the others not rated: not judged; 8 F7's follow-up (opened Mon 22 Feb, due after the end of
# February) still within its time: not judged, else no feedback: 2; 9 full online 2, F7 1.
EXPECTED = {
    "J1": [2, 2, 2, 2, 2, 2, N, 2, 2],
    "J2": [0, 1, 2, 2, 2, 2, N, 2, 2],
    "J4": [2, 2, 2, 2, 2, 2, 1, 2, 2],
    "F1": [2, 2, 2, 2, 2, 2, 2, 2, 2],
    "F2": [1, 1, 2, 2, 2, 2, N, 2, 2],
    "F3": [2, 2, 2, 2, 2, 2, N, 2, 2],
    "F7": [2, 2, 1, 2, 2, 2, 0, N, 1],
    "F8": [0, 2, 0, 2, 2, 2, N, 2, 2],
}


@pytest.fixture
def scenario(demo):  # type: ignore[no-untyped-def]
    return build(demo)


def _points(scenario, viewer) -> dict[str, list[int | None]]:  # type: ignore[no-untyped-def]
    names = {d.code: name for name, d in scenario.dossiers.items()}
    found = evaluated_dossiers(viewer=viewer, period=FEBRUARY, scope=ALL, now=END_OF_FEBRUARY)
    return {names[d.code]: [getattr(d, f"{field_of(i)}_value") for i in INDICATORS] for d in found}


class TestGrades:
    @pytest.mark.parametrize(
        ("total", "grade"),
        [
            (18, Grade.EXCELLENT),
            (16, Grade.EXCELLENT),
            (Decimal("15.01"), Grade.EXCELLENT),
            (15, Grade.GOOD),
            (12, Grade.GOOD),
            (Decimal("11.99"), Grade.FAIR),
            (9, Grade.FAIR),
            (Decimal("8.5"), Grade.AVERAGE),
            (6, Grade.AVERAGE),
            (5, Grade.WEAK),
            (0, Grade.WEAK),
        ],
    )
    def test_each_total_has_exactly_one_class(self, total, grade):  # type: ignore[no-untyped-def]
        assert grade_of(total) == grade

    def test_no_total_has_no_class(self):  # type: ignore[no-untyped-def]
        assert grade_of(None) is None


@pytest.mark.django_db
class TestComputed:
    def test_it_scores_each_ended_dossier_from_its_record(self, scenario, demo):  # type: ignore[no-untyped-def]
        assert _points(scenario, demo.center_leader) == EXPECTED

    def test_the_summary_averages_what_is_judged_and_classes_only_full_evaluations(  # type: ignore[no-untyped-def]
        self, scenario, demo
    ):
        summary = evaluation_summary(
            viewer=demo.center_leader, period=FEBRUARY, scope=ALL, now=END_OF_FEBRUARY
        )
        total = summary.total
        assert (total.dossiers, total.evaluated, total.not_evaluated) == (8, 2, 6)
        # Per indicator, the sum over the dossiers judged / their number (rounded half up):
        # 1: 11/8; 2: 14/8; 3: 13/8; 4–6: 16/8; 7: 3/3 (J4 F1 F7); 8: 14/7 (not F7); 9: 15/8.
        assert [(str(i), a, n) for i, a, n in total.averages] == [
            ("total_time", Decimal("1.38"), 8),
            ("agency_time", Decimal("1.75"), 8),
            ("contacts", Decimal("1.63"), 8),
            ("agencies_contacted", Decimal("2.00"), 8),
            ("one_stop", Decimal("2.00"), 8),
            ("publicity", Decimal("2.00"), 8),
            ("attitude", Decimal("1.00"), 3),
            ("feedback_handling", Decimal("2.00"), 7),
            ("online_service", Decimal("1.88"), 8),
        ]
        # Fully evaluated: J4 17 and F1 18, both excellent; (17 + 18) / 2 = 17.50.
        assert total.average_total == Decimal("17.50")
        assert total.grade == Grade.EXCELLENT
        assert total.grades == {
            Grade.EXCELLENT: 2,
            Grade.GOOD: 0,
            Grade.FAIR: 0,
            Grade.AVERAGE: 0,
            Grade.WEAK: 0,
        }
        land = next(row for row in summary.by_agency if "đất đai" in row.label)
        # F7 alone, not fully evaluated: averages, but no total and no class.
        assert (land.dossiers, land.evaluated, land.average_total, land.grade) == (1, 0, N, N)
        assert [row.dossiers for row in summary.by_procedure] == [7, 1]

    def test_the_lists_behind_the_classes_agree_with_the_counts(self, scenario, demo):  # type: ignore[no-untyped-def]
        def codes(grade: str) -> set[str]:
            found = evaluated_dossiers(
                viewer=demo.center_leader,
                period=FEBRUARY,
                scope=ALL,
                grade=grade,
                now=END_OF_FEBRUARY,
            )
            return set(found.values_list("code", flat=True))

        assert codes(Grade.EXCELLENT) == scenario.codes("J4", "F1")
        assert codes(Grade.GOOD) == set()
        assert codes(NOT_EVALUATED) == scenario.codes("J1", "J2", "F2", "F3", "F7", "F8")

    def test_it_takes_a_fixed_number_of_queries_whatever_the_number_of_dossiers(  # type: ignore[no-untyped-def]
        self, scenario, demo
    ):
        counts = []
        # January has one ended dossier (J3), February eight.
        for period in (JANUARY, FEBRUARY):
            viewer = demo.center_leader
            with CaptureQueriesContext(connection) as queries:
                evaluation_summary(viewer=viewer, period=period, scope=ALL, now=END_OF_FEBRUARY)
            counts.append(len(queries))
        assert counts[0] == counts[1]
        assert counts[1] <= 6


@pytest.mark.django_db
class TestEntries:
    def test_entered_points_complete_and_override_the_computed_ones(self, scenario, demo):  # type: ignore[no-untyped-def]
        j2, f8, f1 = scenario["J2"], scenario["F8"], scenario["F1"]
        events = Event.objects.count()
        with at(2027, 2, 26, 9, 0):
            evaluation_entry_set(
                actor=demo.center_leader, code=j2.code, indicator="attitude", points=1
            )
            controller = demo.person("kiemsoat")
            evaluation_entry_set(actor=controller, code=f8.code, indicator="attitude", points=0)
            # Overrides the citizen's "very satisfied" (2), with the reason kept.
            evaluation_entry_set(
                actor=controller,
                code=f1.code,
                indicator="attitude",
                points=1,
                note="Phản ánh trực tiếp tại quầy",
            )
        assert Event.objects.count() == events + 3
        summary = evaluation_summary(
            viewer=demo.center_leader, period=FEBRUARY, scope=ALL, now=END_OF_FEBRUARY
        )
        # J2 0+1+2+2+2+2+1+2+2 = 14 good; F8 0+2+0+2+2+2+0+2+2 = 12 good (the lower bound);
        # F1 18 − 1 = 17 and J4 17 excellent; (14 + 12 + 17 + 17) / 4 = 15.00: good, not above 15.
        assert summary.total.evaluated == 4
        assert summary.total.grades[Grade.EXCELLENT] == 2
        assert summary.total.grades[Grade.GOOD] == 2
        assert summary.total.average_total == Decimal("15.00")
        assert summary.total.grade == Grade.GOOD
        evaluation = dossier_evaluation(
            viewer=demo.center_leader, code=f1.code, now=END_OF_FEBRUARY
        )
        assert (evaluation.total, evaluation.grade) == (17, Grade.EXCELLENT)
        assert evaluation.entries["attitude"].note == "Phản ánh trực tiếp tại quầy"

    def test_changing_and_clearing_keep_the_history_in_the_audit_log(self, scenario, demo):  # type: ignore[no-untyped-def]
        code = scenario["F7"].code
        leader = demo.center_leader
        evaluation_entry_set(actor=leader, code=code, indicator="feedback_handling", points=2)
        evaluation_entry_set(actor=leader, code=code, indicator="feedback_handling", points=1)
        assert EvaluationEntry.objects.get(dossier__code=code).points == 1
        evaluation_entry_clear(actor=leader, code=code, indicator="feedback_handling")
        assert not EvaluationEntry.objects.filter(dossier__code=code).exists()
        kinds = list(
            Event.objects.filter(target_id=code, kind__startswith="evaluation.")
            .order_by("seq")
            .values_list("kind", "data__previous")
        )
        assert kinds == [
            ("evaluation.entered", None),
            ("evaluation.entered", {"points": 2, "note": ""}),
            ("evaluation.cleared", {"points": 1, "note": ""}),
        ]

    @pytest.mark.parametrize(
        ("indicator", "points", "note", "field"),
        [
            ("attitude", 3, "", "points"),
            ("attitude", "2", "", "points"),
            ("attitude", True, "", "points"),
            ("courtesy", 2, "", "indicator"),
            (Indicator.TOTAL_TIME, 2, "", "indicator"),
            ("attitude", 2, "x" * 1001, "note"),
        ],
    )
    def test_bad_input_is_refused_at_its_field_and_changes_nothing(  # type: ignore[no-untyped-def]
        self, scenario, demo, indicator, points, note, field
    ):
        events = Event.objects.count()
        with pytest.raises(ValidationFailed) as refused:
            evaluation_entry_set(
                actor=demo.center_leader,
                code=scenario["J1"].code,
                indicator=indicator,
                points=points,
                note=note,
            )
        assert refused.value.extra["field"] == field
        assert not EvaluationEntry.objects.exists()
        assert Event.objects.count() == events

    def test_only_center_leaders_and_procedure_controllers_enter_points(self, scenario, demo):  # type: ignore[no-untyped-def]
        code = scenario["J1"].code
        # The land office's director reads reports but does not grade; the others read nothing.
        for person in (demo.land_director, demo.reception_officer, demo.outsider, demo.nobody()):
            with pytest.raises(PermissionDenied):
                evaluation_entry_set(actor=person, code=code, indicator="attitude", points=2)
        assert not EvaluationEntry.objects.exists()

    def test_an_unknown_or_open_dossier_is_refused(self, scenario, demo):  # type: ignore[no-untyped-def]
        leader = demo.center_leader
        with pytest.raises(NotFound):
            evaluation_entry_set(actor=leader, code="khong-co", indicator="attitude", points=2)
        with pytest.raises(Conflict):
            evaluation_entry_set(
                actor=leader, code=scenario["F4"].code, indicator="attitude", points=2
            )
        with pytest.raises(NotFound):
            dossier_evaluation(viewer=leader, code=scenario["F4"].code, now=END_OF_FEBRUARY)
        assert not EvaluationEntry.objects.exists()
