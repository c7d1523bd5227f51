"""The question bank: models, loading and the content check."""

from bot.content.loader import Bank, ContentError, Problem, collect, load_bank
from bot.content.models import Question, QuestionType, Topic

__all__ = ["Bank", "ContentError", "Problem", "Question", "QuestionType", "Topic", "collect", "load_bank"]
