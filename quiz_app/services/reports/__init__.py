"""一学一报: report requirements, writing with autosave, review with versions, counts, exports."""

from quiz_app.services.audience import in_audience
from quiz_app.services.reports.figures import requirement_figures, todo_items, year_figures
from quiz_app.services.reports.requirements import (
    ReportError,
    RequirementData,
    can_manage,
    can_review,
    can_see_counts,
)

__all__ = [
    "ReportError",
    "RequirementData",
    "can_manage",
    "can_review",
    "can_see_counts",
    "in_audience",
    "requirement_figures",
    "todo_items",
    "year_figures",
]
