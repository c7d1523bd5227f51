"""The services the handlers call, as app.py put them in the Application's bot_data."""

from __future__ import annotations

from telegram.ext import ContextTypes

from bot.services.daily import DailyService
from bot.services.exam import ExamService
from bot.services.plan import PlanService
from bot.services.progress import ProgressService
from bot.services.quiz import QuizService
from bot.services.study import StudyService


def quiz_service(context: ContextTypes.DEFAULT_TYPE) -> QuizService:
    return context.application.bot_data["quiz"]


def daily_service(context: ContextTypes.DEFAULT_TYPE) -> DailyService:
    return context.application.bot_data["daily"]


def exam_service(context: ContextTypes.DEFAULT_TYPE) -> ExamService:
    return context.application.bot_data["exam"]


def progress_service(context: ContextTypes.DEFAULT_TYPE) -> ProgressService:
    return context.application.bot_data["progress"]


def study_service(context: ContextTypes.DEFAULT_TYPE) -> StudyService:
    return context.application.bot_data["study"]


def plan_service(context: ContextTypes.DEFAULT_TYPE) -> PlanService:
    return context.application.bot_data["plan"]
