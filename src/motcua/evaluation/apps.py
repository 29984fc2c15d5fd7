from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "motcua.evaluation"
    verbose_name = _("Đánh giá việc giải quyết thủ tục hành chính")
