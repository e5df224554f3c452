"""Dataset release: plan columns, transform rows, report (``desens release``)."""

from __future__ import annotations

from desens.release.pipeline import ReleaseOptions, ResidualDataError, release
from desens.release.plan import ColumnPlan, plan_columns
from desens.release.report import ReleaseReport

__all__ = [
    "ColumnPlan",
    "ReleaseOptions",
    "ReleaseReport",
    "ResidualDataError",
    "plan_columns",
    "release",
]
