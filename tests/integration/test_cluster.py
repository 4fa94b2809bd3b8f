"""Cluster mode (scripts/cluster.py) through real processes on loopback: PostgreSQL, Redis,
HAProxy, three Rasa nodes and two action-server nodes behind the chat gateway.

Any node serves any turn; a node that dies loses no turn; a database restart is survived;
without the lock store turns are refused clearly, never handled by two nodes at once.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest
import requests

from scripts.cluster import (
    DATABASE_USER,
    TRACKER_DATABASE,
    balancer_servers,
    postgres_password,
)
from scripts.running_stack import RunningCluster
from scripts.simulated_patient import TERSE, TYPICAL, answer_for, referral_marker, tapped

CLUSTER_ENV = {
    "CHAT_RATE_PER_CONVERSATION": "600/minute",
    "CHAT_RATE_PER_ADDRESS": "6000/minute",
    # Each turn to the next node, not each conversation to its own (the default): the
    # hardest case for shared state, and every test conversation then uses every node.
    "CLUSTER_BALANCE": "roundrobin",
}
NOT_AVAILABLE = "the assistant is not available just now; please try again"


@pytest.fixture(scope="module")
def cluster() -> Iterator[RunningCluster]:
    # PostgreSQL runs as the `postgres` user under root: its folder must be reachable.
    state = Path(tempfile.mkdtemp(prefix="msk-cluster-test-"))
    state.chmod(0o711)
    running = RunningCluster(state, CLUSTER_ENV)
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()
        if not os.environ.get("KEEP_CLUSTER_STATE"):
            shutil.rmtree(state, ignore_errors=True)


class Conversation:
    """One patient through the public chat gateway; keeps every message sent and its status."""

    def __init__(self, cluster: RunningCluster) -> None:
        self.url = cluster.url("WEB_PORT", "/api/v1/chat")
        self.origin = cluster.url("WEB_PORT", "")
        self.id: str | None = None
        self.stored_messages: list[str] = []  # the messages Rasa answered (so stored)
        self.resend_when_refused = False
        self.refused: list[str] = []

    def send(self, text: str) -> requests.Response:
        body = {"message": text, **({"conversation_id": self.id} if self.id else {})}
        response = requests.post(self.url, json=body, headers={"Origin": self.origin}, timeout=60)
        if response.status_code == 200:
            self.id = response.json()["conversation_id"]
            self.stored_messages.append(text)
        return response

    def say(self, text: str) -> list[dict]:
        response = self.send(text)
        if response.status_code == 503 and self.resend_when_refused:
            # "not available just now; please try again": the patient sends it again
            self.refused.append(text)
            time.sleep(1)
            response = self.send(text)
        assert response.status_code == 200, (text, response.status_code, response.text[:200])
        return response.json()["messages"]

    @property
    def sender(self) -> str:
        assert self.id
        return self.id[:32]  # the Rasa conversation behind the gateway's signed id


def hold_referral(
    conversation: Conversation, persona, between: Callable[[int], None] = lambda turn: None
) -> str:
    """The whole referral as the persona answers it; `between(n)` runs after the n-th turn."""
    replies = conversation.say(persona.opening)
    for turn in range(1, 60):
        marker = referral_marker(replies)
        if marker:
            return marker["reference"]
        between(turn)
        answer = answer_for(persona, replies)
        assert answer is not None, replies
        replies = conversation.say(tapped(answer, replies))
    raise AssertionError("the referral did not finish in 60 messages")


def served(cluster: RunningCluster) -> dict[str, int]:
    return {name: int(row["stot"]) for name, row in balancer_servers(cluster.env).items()}


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {seconds} s")


def tracker_database(cluster: RunningCluster):
    return psycopg2.connect(
        host="127.0.0.1",
        port=cluster.server_ports["POSTGRES_PORT"],
        user=DATABASE_USER,
        password=postgres_password(cluster.cluster_dir),
        dbname=TRACKER_DATABASE,
    )


def stored_user_messages(cluster: RunningCluster, sender: str) -> list[str]:
    with tracker_database(cluster) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT data::json->>'text' FROM events "
            "WHERE sender_id = %s AND type_name = 'user' ORDER BY id",
            (sender,),
        )
        return [row[0] for row in cursor.fetchall()]


def referrals_stored(cluster: RunningCluster, reference: str) -> int:
    with sqlite3.connect(cluster.env["INTAKE_DB"]) as connection:
        return connection.execute(
            "SELECT count(*) FROM referrals WHERE reference = ?", (reference,)
        ).fetchone()[0]


def all_rasa_nodes_up(cluster: RunningCluster) -> bool:
    rows = balancer_servers(cluster.env)
    return all(rows[f"rasa{n}"]["status"] == "UP" for n in (1, 2, 3))


def test_whole_referrals_are_held_with_their_turns_spread_over_every_node(cluster):
    before = served(cluster)
    for persona in (TYPICAL, TERSE):
        conversation = Conversation(cluster)
        reference = hold_referral(conversation, persona)
        assert stored_user_messages(cluster, conversation.sender) == conversation.stored_messages
        assert referrals_stored(cluster, reference) == 1
    after = served(cluster)
    for node in ("rasa1", "rasa2", "rasa3"):
        assert after[node] - before[node] >= 10, (node, before, after)
    for node in ("action1", "action2"):  # both action-server nodes ran the forms' actions
        assert after[node] - before[node] >= 10, (node, before, after)


def test_a_rasa_node_killed_mid_conversation_loses_no_turn_and_comes_back(cluster):
    """A turn sent while the killed node's process is still being torn down reaches its
    socket and gets no answer: the load balancer cannot know whether it was handled, so it
    is refused ("please try again") rather than sent to a second node. The patient sends it
    again; no turn is lost, none is stored twice."""
    conversation = Conversation(cluster)
    conversation.resend_when_refused = True
    killed = cluster.rasa_node_ports[1]

    def kill_a_node(turn: int) -> None:
        if turn == 6:
            os.kill(cluster.pid_of(f"--port {killed}"), signal.SIGKILL)

    reference = hold_referral(conversation, TYPICAL, between=kill_a_node)
    assert len(conversation.refused) <= 1  # at most the turn sent as the node died
    # every message answered once (hold_referral asserts 200), stored once, in order
    assert stored_user_messages(cluster, conversation.sender) == conversation.stored_messages
    assert referrals_stored(cluster, reference) == 1
    # started again by the cluster, and back behind the load balancer
    wait_until(lambda: all_rasa_nodes_up(cluster), 180, "the killed Rasa node back up")


def test_a_postgresql_restart_is_survived_by_every_node(cluster):
    conversation = Conversation(cluster)
    data = cluster.cluster_dir / "postgres"

    def restart_postgres(turn: int) -> None:
        if turn == 4:
            postmaster = cluster.pid_of(f"-D {data}")
            os.kill(postmaster, signal.SIGINT)  # fast shutdown; the cluster starts it again
            wait_until(lambda: _gone(postmaster), 30, "PostgreSQL stopped")
            wait_until(lambda: _answers(cluster), 60, "PostgreSQL started again")

    reference = hold_referral(conversation, TERSE, between=restart_postgres)
    assert stored_user_messages(cluster, conversation.sender) == conversation.stored_messages
    assert referrals_stored(cluster, reference) == 1


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or "zombie" in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return "zombie"


def _answers(cluster: RunningCluster) -> bool:
    try:
        tracker_database(cluster).close()
    except psycopg2.Error:
        return False
    return True


def test_without_the_lock_store_turns_are_refused_clearly_and_resume_after(cluster):
    conversation = Conversation(cluster)
    conversation.say(TYPICAL.opening)
    redis = cluster.pid_of(f"127.0.0.1:{cluster.server_ports['REDIS_PORT']}")
    os.kill(redis, signal.SIGSTOP)  # Redis stops answering
    try:
        started = time.monotonic()
        refused = conversation.send("no, this is the first time")
        assert refused.status_code == 503
        assert refused.json() == {"error": NOT_AVAILABLE}
        assert time.monotonic() - started < 15  # said promptly, not after a long hang
        health = requests.get(
            f"http://127.0.0.1:{cluster.rasa_node_ports[0]}/webhooks/rest/", timeout=10
        )
        assert health.status_code == 503
        assert "lock store" in health.json()["status"]
        gateway = requests.get(cluster.url("WEB_PORT", "/healthz"), timeout=10).json()
        assert gateway["status"] == "degraded"
    finally:
        os.kill(redis, signal.SIGCONT)
    wait_until(lambda: all_rasa_nodes_up(cluster), 30, "nodes healthy again")
    conversation.say("no, this is the first time")  # sent again: now answered
    # the refused message was not stored; the resent one was, once
    assert stored_user_messages(cluster, conversation.sender) == conversation.stored_messages


def test_two_nodes_never_handle_one_conversation_at_once(cluster):
    """Three messages of one conversation sent at the same moment to three different nodes
    are handled one after another: each turn starts after the one before it was stored."""
    conversation = Conversation(cluster)
    conversation.say(TYPICAL.opening)
    headers = cluster.rasa_headers
    statuses: list[int] = []

    def send_to(port: int, text: str) -> None:
        response = requests.post(
            f"http://127.0.0.1:{port}/webhooks/rest/webhook",
            json={"sender": conversation.sender, "message": text},
            headers=headers,
            timeout=60,
        )
        statuses.append(response.status_code)

    texts = ["my knee hurts", "it is my right knee", "about three months"]
    threads = [
        threading.Thread(target=send_to, args=(port, text))
        for port, text in zip(cluster.rasa_node_ports, texts, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200, 200]
    with tracker_database(cluster) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT type_name, action_name, timestamp FROM events WHERE sender_id = %s ORDER BY id",
            (conversation.sender,),
        )
        events = cursor.fetchall()
    turns: list[list[tuple]] = []
    for event in events:
        if event[0] == "user":
            turns.append([])
        if turns:
            turns[-1].append(event)
    assert len(turns) == 4  # the opening and the three
    for earlier, later in zip(turns, turns[1:], strict=False):
        assert earlier[-1][1] == "action_listen"  # each turn ran to its end before the next
        assert later[0][2] >= earlier[-1][2], "a turn started before the one before it ended"
