"""Tables of the two minimal endpoints (the ceiling the product is compared with)."""

from django.db import models


class BenchItem(models.Model):
    """What the minimal lookup reads: one row by a unique (so indexed) code."""

    code = models.CharField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=20)

    def __str__(self) -> str:
        return self.code


class BenchRow(models.Model):
    """What the minimal insert writes: four rows per request, one transaction."""

    batch = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField()
    payload = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.batch}/{self.position}"
