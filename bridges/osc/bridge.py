"""The OSC bridge (DESIGN.md "OSC"): a UDP server in the daemon for TouchOSC, Max, Bitwig, Ardour…

Three threads, so slow work never delays the receive loop:
- receive (server.py): gate the sender, parse, answer what is instant (ping, subscriptions,
  malformed input), queue the rest;
- worker: engine calls that may take long (submit, catalog, listings, cancel);
- events (events.py): job events to the job's client and the subscribers.
A full work queue (work.py) is answered with a `busy` error: a request is either queued or
refused, never silently lost; requests that start or stop something go before questions.
"""

from __future__ import annotations

import logging
import threading
import time

from pydantic import ValidationError as PydanticValidationError

from mvsep_bridge.daemon.engine import (
    BridgeError,
    BudgetError,
    Engine,
    JobRequest,
    JobView,
    PathNotAllowed,
    ReplyChannel,
    Unreachable,
    UsageError,
    ValidationError,
)

from . import commands, replies, wire
from .access import SenderGate, check_listen
from .commands import (
    ARGUMENTS,
    Command,
    JobCommand,
    Ping,
    Playback,
    Refusal,
    Separate,
    Subscription,
)
from .events import EventPump
from .routing import Subscribers, Target, format_address, parse_address, reply_target
from .server import UdpServer
from .work import Full, WorkQueue

log = logging.getLogger("mvsep_bridge.osc")

MAX_LISTED_JOBS = 200  # /mvsep/jobs lists the newest ones
# the engine's refusals → /mvsep/error codes, most specific first
ERROR_CODES: tuple[tuple[type[BridgeError], str], ...] = (
    (PathNotAllowed, "path_not_allowed"),  # the message names allowed_roots, the key to change
    (BudgetError, "over_budget"),  # [budget] in the config file
    (ValidationError, "invalid"),  # algorithm, option or format
    (UsageError, "refused"),  # no such file, unwritable destination, unreadable audio
    (Unreachable, "unreachable"),
    (BridgeError, "failed"),
)


class OscBridge:
    name = replies.BRIDGE

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self._server: UdpServer | None = None
        self._gate = SenderGate()
        self._subscribers = Subscribers()
        self._cancellers: dict[str, set[Target]] = {}  # job → clients that cancelled another's job
        self._cancellers_lock = threading.Lock()
        self._work: WorkQueue[tuple[Target, Command]] = WorkQueue()
        self._worker = threading.Thread(target=self._work_loop, name="osc-worker", daemon=True)
        self._pump = EventPump(self._event_targets, self._send)
        self._unsubscribe = None

    # -- Bridge protocol -------------------------------------------------------------------

    def start(self, engine: Engine) -> None:
        osc = engine.settings.osc
        check_listen(osc.host, osc.allow_from)
        self._engine = engine
        self._server = UdpServer(osc.host, osc.port, self._on_datagram)
        host, port = self._server.address
        self._worker.start()
        self._pump.start()
        self._unsubscribe = engine.subscribe(self._pump.on_event)
        self._server.start()
        engine.announce(self.name, f"udp://{format_address((host, port))}")  # logged by the engine
        log.info("senders allowed: %s", ", ".join(map(str, osc.allow_from)) or "loopback only")

    def stop(self) -> None:
        """No new requests (those still waiting are refused), the pending events, then the socket."""
        if self._server is not None:
            self._server.stop_receiving()
        if self._worker.is_alive():
            for sender, command in self._work.close():  # refused, not dropped in silence
                self._refuse(sender, "stopping", "the daemon is stopping; send it again once it runs",
                             _tag(command))
            self._worker.join(timeout=10)
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._pump.is_alive():
            self._pump.stop()
        if self._server is not None:
            self._server.close()

    # -- where replies go ------------------------------------------------------------------

    def _reply_to(self, sender: Target) -> Target:
        osc = self._engine.settings.osc
        return reply_target(sender, osc.reply_host, osc.reply_port)

    def _event_targets(self, view: JobView) -> set[Target]:
        targets = self._subscribers.all()
        with self._cancellers_lock:
            cancellers = self._cancellers.pop if view.state.final else self._cancellers.get
            targets |= cancellers(view.id, set())
        channel = view.request.reply
        sender = parse_address(channel.address) if channel.bridge == self.name else None
        if sender is not None:
            targets.add(self._reply_to(sender))
        return targets

    def _send(self, reply: replies.Reply, targets: set[Target]) -> None:
        self._server.send(reply, targets)

    def _answer(self, sender: Target, reply: replies.Reply) -> None:
        self._send(reply, {self._reply_to(sender)})

    def _refuse(self, sender: Target, code: str, message: str, tag: str | None = None) -> None:
        """Errors go to the sender and every subscriber (a sender like oscsend is gone already)."""
        log.debug("%s:%s refused: %s %s", *sender, code, message)
        self._send(replies.error(code, message, tag), {self._reply_to(sender), *self._subscribers.all()})

    # -- receive thread: quick answers only --------------------------------------------------

    def _on_datagram(self, datagram: bytes, sender: Target) -> None:
        allow_from = self._engine.settings.osc.allow_from
        if not self._gate.allows(sender[0], allow_from):
            if self._gate.should_log(sender[0], time.monotonic()):
                log.warning("dropped a datagram from %s, not in osc.allow_from (%s)", sender[0],
                            ", ".join(map(str, allow_from)) or "loopback only")
            return
        try:
            messages = wire.split_packet(datagram)
        except wire.BadPacket as exc:
            self._refuse(sender, "bad_packet", str(exc))
            return
        for message in messages:
            if message.address in replies.ADDRESSES:
                log.debug("ignored %s from %s:%s (one of our replies)", message.address, *sender)
                continue
            try:
                command = commands.parse(message.address, message.args)
            except Refusal as refusal:
                self._refuse(sender, refusal.code, refusal.message, refusal.tag)
                continue
            if isinstance(command, Ping):
                self._answer(sender, replies.pong())
            elif isinstance(command, Subscription):
                self._subscribe(sender, command)
            else:
                self._queue(sender, command)

    def _subscribe(self, sender: Target, command: Subscription) -> None:
        target = (sender[0], command.port)
        if command.on and target == self._server.address:
            self._refuse(sender, "bad_arguments", f"port {command.port} is this daemon's own port; "
                                                  "subscribe the port your monitor listens on")
            return
        if command.on:
            try:
                self._subscribers.add(target)
            except UsageError as exc:
                self._refuse(sender, "too_many_subscribers", f"{exc.message}; {exc.hint}")
                return
            log.info("%s:%s subscribed", *target)
        elif self._subscribers.remove(target):
            log.info("%s:%s unsubscribed", *target)
        self._send(replies.subscribed(command.port, command.on), {target})

    def _queue(self, sender: Target, command: Command) -> None:
        try:
            self._work.put((sender, command), action=commands.is_action(command))
        except Full as full:
            self._refuse(sender, "busy", f"{full}; this one was not taken, send it again in a moment",
                         _tag(command))

    # -- worker thread: engine calls -------------------------------------------------------

    def _work_loop(self) -> None:
        while (item := self._work.get()) is not None:
            sender, command = item
            tag = _tag(command)
            try:
                self._do(sender, command)
            except Refusal as refusal:
                self._refuse(sender, refusal.code, refusal.message, refusal.tag or tag)
            except BridgeError as exc:
                code = next(code for kind, code in ERROR_CODES if isinstance(exc, kind))
                self._refuse(sender, code, _explain(exc, command), tag)
            except PydanticValidationError as exc:
                self._refuse(sender, "bad_arguments", _pydantic(exc), tag)
            except Exception as exc:  # a bug must not end the worker: say so and go on
                log.exception("unexpected error serving %r", command)
                self._refuse(sender, "internal", f"unexpected error: {exc}", tag)

    def _do(self, sender: Target, command: Command) -> None:
        engine = self._engine
        if isinstance(command, Separate):
            view = engine.submit(_request(command, sender))
            log.info("job %s from %s:%s for %s", view.id, *sender, command.path)
        elif isinstance(command, JobCommand):
            view = self._job(command.job)
            if command.verb == "status":
                self._answer(sender, replies.current(view))
            elif view.state.final:
                raise Refusal("not_running", f"job {command.job} is already {view.state.value}; "
                                             "nothing to cancel", replies.tag_of(view))
            else:
                with self._cancellers_lock:  # so the canceller hears the end, whoever started the job
                    self._cancellers.setdefault(command.job, set()).add(self._reply_to(sender))
                engine.cancel(command.job)
        elif isinstance(command, Playback):
            arguments = {"job": command.job, "stem": command.stem} if command.action == "play" else {}
            engine.call("audio", command.action, arguments)
            self._answer(sender, replies.playback(command.action, command.job, command.stem))
        elif command.verb == "jobs":
            views = engine.jobs()
            for view in views[:MAX_LISTED_JOBS]:
                self._answer(sender, replies.job_entry(view))
            self._answer(sender, replies.jobs_end(min(len(views), MAX_LISTED_JOBS), len(views)))
        else:
            found = engine.algorithms(command.search)
            for algorithm in found:
                self._answer(sender, replies.algorithm_entry(algorithm))
            self._answer(sender, replies.algorithms_end(len(found)))

    def _job(self, job_id: str) -> JobView:
        try:
            return self._engine.get(job_id)
        except UsageError:
            raise Refusal("unknown_job", f"no job {job_id!r}; /mvsep/jobs lists them") from None


def _tag(command: Command) -> str | None:
    return command.tag if isinstance(command, Separate) else None


def _request(command: Separate, sender: Target) -> JobRequest:
    fields = {} if command.output_format is None else {"output_format": command.output_format}
    return JobRequest(
        source=command.path,
        start=command.start,
        length=command.length,
        sep_type=command.sep_type,
        options=command.options,
        destination=command.destination,
        replace=command.replace,
        reply=ReplyChannel(bridge=replies.BRIDGE, address=format_address(sender), tag=command.tag),
        **fields,
    )


def _explain(exc: BridgeError, command: Command) -> str:
    """The engine's message and fix, and where that field is given in the OSC request."""
    text = f"{exc.message}; {exc.hint}" if exc.hint else exc.message
    where = ARGUMENTS.get(exc.field or "") if isinstance(command, Separate) else None
    return f"{text} (in /mvsep/separate: {where})" if where else text


def _pydantic(exc: PydanticValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in exc.errors())
