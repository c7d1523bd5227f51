"""Build the python-telegram-bot Application and run it until a stop signal."""

from __future__ import annotations

import asyncio
import logging
import random
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from telegram import BotCommandScopeAllGroupChats, Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application, ApplicationBuilder

from bot import charts
from bot.config import Settings
from bot.content import Bank
from bot.services.daily import DailyService
from bot.services.exam import ExamService
from bot.services.groups import GroupService
from bot.services.plan import PlanService
from bot.services.progress import ProgressService
from bot.services.quiz import Clock, QuizService
from bot.services.study import StudyService
from bot.services.tracks import Tracks
from bot.storage.daily import DailyRepo
from bot.storage.db import Database, open_database
from bot.storage.exam import ExamRepo
from bot.storage.groups import GroupRepo
from bot.storage.inbox import Inbox
from bot.storage.plan import PlanRepo
from bot.storage.replicas import BEAT, Replica
from bot.storage.repo import Repo
from bot.storage.study import StudyRepo
from bot.tg import commands
from bot.tg.daily import jobs
from bot.tg.exam import handlers as exam
from bot.tg.fleet import keep_alive
from bot.tg.groups import handlers as groups
from bot.tg.http import AiohttpRequest
from bot.tg.intake import Intake
from bot.tg.limits import PER_CHAT_PER_SECOND, ChatRateLimiter
from bot.tg.metrics import Metrics
from bot.tg.ordering import PerUserOrder
from bot.tg.plan import jobs as plan_jobs
from bot.tg.webhook import ListenFailed, WebServer

log = logging.getLogger(__name__)

POLL_TIMEOUT = 30  # seconds a getUpdates long poll waits for news
PUSH_INTERVAL = 20.0  # seconds between looks at who is due for a drill or reminder
FIT_INTERVAL = 60.0  # seconds between looks at whose memory model is due for a fit
MAX_CONCURRENT_UPDATES = 128  # updates handled at once (each person's still one at a time)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_application(settings: Settings, bank: Bank, db: Database, *, clock: Clock = _utc_now,
                      push_interval: float = PUSH_INTERVAL, rate_limit: bool = True,
                      per_chat_per_second: float = PER_CHAT_PER_SECOND,
                      fit_interval: float = FIT_INTERVAL) -> Application:
    assert settings.telegram_bot_token is not None
    token = settings.telegram_bot_token.get_secret_value()
    inbox = Inbox(db)
    metrics = Metrics(inbox, clock)
    replica = Replica(db, lease=timedelta(seconds=settings.replica_lease))
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        # aiohttp instead of the default httpx: ~10x the requests per second on one core (see bot/tg/http.py).
        # Pool: one connection for every update in progress and every push in flight, so a slow network
        # (bench/load.py --delays 0.05) is not throttled by waiting for a free connection.
        .request(AiohttpRequest(connection_pool_size=MAX_CONCURRENT_UPDATES + jobs.CONCURRENCY,
                                on_error=metrics.api_error))
        .get_updates_request(AiohttpRequest(connection_pool_size=1, read_timeout=POLL_TIMEOUT + 10))
        # Updates are fetched by bot/tg/intake.py (stored before they are confirmed), not PTB's Updater.
        .updater(None)
        # Different users' updates at once (a group's players press together); each user's in order.
        .concurrent_updates(PerUserOrder(clock, MAX_CONCURRENT_UPDATES))
    )
    limiter = None
    if rate_limit:
        # Flood control, retrying a 429 after its retry_after. Overall: one send every 1/28 s rather than
        # bursts of 30 (the limiter is a leaky bucket whose size is its rate, and a burst of 30 followed by
        # more at 30/s exceeds "30 per second" in the first second). Groups: 20 per minute. Private chats:
        # one new message per second (bot/tg/limits.py).
        # Replicas each take their share of the first two (bot/tg/fleet.py).
        limiter = ChatRateLimiter(overall_max_rate=1, overall_time_period=1 / settings.sends_per_second,
                                  max_retries=5, per_chat_per_second=per_chat_per_second)
        builder = builder.rate_limiter(limiter)
    app = builder.build()
    app.bot_data["replica"] = replica
    app.bot_data["limiter"] = limiter
    app.bot_data["intake"] = Intake(app, inbox, replica, clock=clock, timeout=POLL_TIMEOUT, metrics=metrics)
    app.bot_data["metrics"] = metrics
    repo = Repo(db)
    rng = random.Random()
    tracks = Tracks(bank)  # every exam's view of the bank, built once
    quiz = QuizService(bank, repo, default_tz=settings.default_tz, clock=clock, rng=rng, tracks=tracks)
    app.bot_data["quiz"] = quiz
    exams = ExamRepo(db)
    plans = PlanService(bank, repo, PlanRepo(db, replica), exams, tracks, clock=clock)
    app.bot_data["plan"] = plans
    app.bot_data["daily"] = DailyService(bank, repo, DailyRepo(db, replica), quiz, clock=clock, rng=rng, plans=plans)
    app.bot_data["exam"] = ExamService(bank, exams, quiz, clock=clock, rng=rng)
    app.bot_data["progress"] = ProgressService(bank, exams, repo, clock=clock, default_tz=settings.default_tz,
                                               tracks=tracks, plans=plans)
    app.bot_data["study"] = StudyService(bank, repo, StudyRepo(db), quiz, clock=clock, rng=rng,
                                         admin_ids=settings.admin_ids)
    app.bot_data["groups"] = GroupService(bank, GroupRepo(db, replica), clock=clock, rng=rng,
                                          default_tz=settings.default_tz, exam_hold=quiz.exam_hold, tracks=tracks)
    commands.register(app)
    # No misfire grace limit and coalescing: a late tick still runs, and runs once.
    app.job_queue.run_repeating(jobs.push_tick, interval=push_interval, first=1.0, name="push",
                                job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1})
    # Exams whose time ran out while nobody tapped are finished and scored here.
    app.job_queue.run_repeating(exam.exam_tick, interval=push_interval, first=1.0, name="exam-timeout",
                                job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1})
    # The plan's own messages (the evening before an exam, the question after it), claimed in the database.
    app.job_queue.run_repeating(plan_jobs.plan_tick, interval=push_interval, first=1.0, name="plan",
                                job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1})
    # Learners' own memory models, refitted weekly; a few per tick so that a backlog never hogs the bot.
    app.job_queue.run_repeating(plan_jobs.fit_tick, interval=fit_interval, first=fit_interval, name="fit",
                                job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1})
    groups.schedule(app)  # rounds' timers and the Monday winners, from the database
    return app


class TokenRejected(Exception):
    """Telegram refused the bot token (401/404 to getMe): retrying cannot help."""


STARTUP_FIRST_DELAY = 1.0  # seconds before the first retry of an unreachable Telegram at start-up
STARTUP_MAX_DELAY = 60.0  # the back-off doubles up to this


async def _connect(step: Callable[[], Awaitable[None]], stop: asyncio.Event, *,
                   first_delay: float = STARTUP_FIRST_DELAY, max_delay: float = STARTUP_MAX_DELAY) -> bool:
    """Reach Telegram and take one start-up step (register the bot, set the webhook); retry network failures
    until `stop`. False if stopped first.

    A network blip while the bot boots must not leave it down for good: a process manager would restart
    it, but `docker run` without a restart policy, or a systemd unit that gave up, would not.
    """
    delay, attempt = first_delay, 0
    while True:
        attempt += 1
        try:
            return await _unless_stopped(step(), stop)
        except InvalidToken:
            raise TokenRejected from None  # its message holds the token: not chained, never printed
        except NetworkError as exc:  # TimedOut included; 5xx arrive here too, after the backend's own retries
            log.warning("cannot reach Telegram (attempt %d: %s); trying again in %.0f s", attempt,
                        _one_line(exc), delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return False
        except TimeoutError:
            delay = min(delay * 2, max_delay)


async def _register(app: Application, webhook: bool) -> None:
    await app.initialize()  # getMe: checks the token
    if not webhook:
        await app.bot.delete_webhook(drop_pending_updates=False)  # getUpdates is refused while one is set
    await app.bot.set_my_commands(commands.bot_commands())
    await app.bot.set_my_commands(commands.group_bot_commands(), scope=BotCommandScopeAllGroupChats())


async def _set_webhook(app: Application, settings: Settings) -> None:
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    await app.bot.set_webhook(settings.webhook_url, secret_token=settings.webhook_secret.get_secret_value(),
                              allowed_updates=list(Update.ALL_TYPES), drop_pending_updates=False)


def _server(settings: Settings, app: Application) -> WebServer | None:
    """The HTTP server: the webhook with /healthz and /metrics, or in polling mode those two if a port is set."""
    intake: Intake = app.bot_data["intake"]
    metrics: Metrics = app.bot_data["metrics"]
    if settings.webhook_url is not None and settings.webhook_secret is not None:
        return WebServer(intake, intake.inbox, metrics, listen=settings.webhook_listen, port=settings.webhook_port,
                         path=settings.webhook_path, secret=settings.webhook_secret.get_secret_value())
    if settings.metrics_port is not None:
        return WebServer(intake, intake.inbox, metrics, listen=settings.webhook_listen, port=settings.metrics_port)
    return None


async def _unless_stopped(coro, stop: asyncio.Event) -> bool:
    """Run `coro` unless `stop` is set first (then cancel it and return False): SIGTERM never waits on a timeout."""
    work = asyncio.ensure_future(coro)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({work, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not work.done():
        work.cancel()
        await asyncio.gather(work, return_exceptions=True)
        return False
    work.result()
    return True


async def _record_the_rest(intake: Intake) -> None:
    """Records that failed are written before the work is given back: else another replica, or the next start,
    would handle those updates again."""
    for _ in range(5):
        await intake.record_again()
        if not intake.unrecorded:
            return
        await asyncio.sleep(1.0)
    log.warning("%d handled updates could not be recorded; they will be handled again", intake.unrecorded)


async def _leave(replica: Replica) -> None:
    """Give back what this replica holds, so the others take it at once rather than after the lease."""
    try:
        await replica.leave()
    except Exception as exc:  # noqa: BLE001 (the database is gone: the lease frees it all the same)
        log.warning("could not give back this replica's work (%s); the others take it after the lease",
                    type(exc).__name__)


def _one_line(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return text[:200]


async def run(
    settings: Settings,
    bank: Bank,
    stop: asyncio.Event | None = None,
    *,
    poll_timeout: int = POLL_TIMEOUT,
    handle_signals: bool = True,
    clock: Clock = _utc_now,
    push_interval: float = PUSH_INTERVAL,
    startup_delay: float = STARTUP_FIRST_DELAY,
    per_chat_per_second: float = PER_CHAT_PER_SECOND,
    warm_charts: bool = True,
    fit_interval: float = FIT_INTERVAL,
) -> None:
    """Open the database, migrate, poll Telegram until `stop` is set or SIGTERM/SIGINT arrives, then close.

    Raises TokenRejected if Telegram refuses the token; an unreachable Telegram is retried until stopped.
    """
    db = await open_database(settings)
    app: Application | None = None
    warming: asyncio.Task | None = None
    try:
        await db.migrate()
        app = build_application(settings, bank, db, clock=clock, push_interval=push_interval,
                                per_chat_per_second=per_chat_per_second, fit_interval=fit_interval)
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT) if handle_signals else ():
            loop.add_signal_handler(sig, stop.set)
        intake: Intake = app.bot_data["intake"]
        intake.timeout = poll_timeout
        webhook = settings.webhook_url is not None
        if not await _connect(lambda: _register(app, webhook), stop, first_delay=startup_delay):
            log.info("stopped before Telegram could be reached")
            return
        # The first /progress would otherwise import matplotlib and load its fonts (seconds on a busy
        # machine); a worker thread does it now, while nobody waits.
        if warm_charts:
            warming = asyncio.create_task(asyncio.to_thread(charts.warm), name="warm-charts")
        replica: Replica = app.bot_data["replica"]
        # Alone: SQLite, or long polling (Telegram serves getUpdates to one process; PostgreSQL's instance lock
        # holds the others off). Then whatever an earlier run held is free at once, not after the lease, and
        # this process orders each person's updates itself; replicas share that through the database.
        intake.shared = webhook and settings.postgres_url is not None
        await replica.join(alone=not intake.shared)
        if intake.shared:
            # Before sending anything: the others see this replica on their next beat and take a smaller share
            # of Telegram's rate; then this one counts them and takes its own.
            await asyncio.sleep(BEAT + 0.5)
            limiter = app.bot_data["limiter"]
            if limiter is not None:
                limiter.share(await replica.beat())
        beat = asyncio.Event()  # beats go on until this replica has given its work back, after `stop`
        async with app:
            await app.start()
            await intake.replay()
            beating = asyncio.create_task(
                keep_alive(replica, intake, app.bot_data["limiter"], app.bot_data["metrics"], beat), name="beat")
            server = _server(settings, app)
            if server is not None:
                try:
                    await server.start()
                except ListenFailed:
                    intake.closing = True
                    await app.stop()  # nothing was taken in yet: what replay queued is still in the inbox
                    beat.set()
                    await asyncio.gather(beating, return_exceptions=True)
                    raise
            polling = None
            if webhook:
                # Only once the server listens: Telegram posts as soon as the webhook is set.
                if not await _connect(lambda: _set_webhook(app, settings), stop, first_delay=startup_delay):
                    stop.set()
            else:
                polling = asyncio.create_task(intake.run(stop), name="intake")
            log.info("mlsquiz is running as @%s with %d questions (%s)", app.bot.username, len(bank.questions),
                     "webhook" if webhook else "long polling")
            await stop.wait()
            log.info("stopping: finishing the updates in progress")
            intake.closing = True  # what arrives from now on (another replica's, for a turn held here) waits
            if server is not None:  # refused from now on: Telegram delivers them again, to another replica or us
                await server.stop()
            if polling is not None:
                polling.cancel()  # an unconfirmed batch in flight is simply fetched again next time
                await asyncio.gather(polling, return_exceptions=True)
            await app.stop()  # handles what is queued, then returns
            if polling is not None:
                await intake.confirm()
            await _record_the_rest(intake)
            beat.set()
            await asyncio.gather(beating, return_exceptions=True)
            await _leave(replica)
    finally:
        if warming is not None:  # a thread cannot be cancelled: let it finish (a second at most)
            await asyncio.gather(warming, return_exceptions=True)
        if app is not None:
            # Closes the HTTP sessions on every path, a failed start included: no "Unclosed client session".
            await app.bot.shutdown()
        await db.close()
        log.info("database closed")
