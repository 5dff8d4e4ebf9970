"""Anonymous 思想动态 surveys: authoring, answering (anonymously) and results with a group threshold.

See ``quiz_app.models.survey`` for why no answer can be joined to a person.
"""

from quiz_app.services.surveys.answering import MIN_GROUP, SurveyError

__all__ = ["MIN_GROUP", "SurveyError"]
