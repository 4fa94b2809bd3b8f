"""Cluster mode's configuration (scripts/cluster.py, endpoints.cluster.yml): every setting comes
from the environment, the load balancer lists every node with a health check and retries only
requests that never reached a node, and Rasa reads the endpoints as meant."""

from __future__ import annotations

import pytest
from rasa.core.lock_store import LockStore
from rasa.core.utils import AvailableEndpoints

from bot.runtime.lock_store import AtomicRedisLockStore
from scripts import cluster
from scripts.layout import ROOT
from scripts.stack import StackError


def test_lock_store_url_is_split_for_rasa_with_its_password_decoded():
    assert cluster.lock_store_parts("redis://:p%40ss@10.0.0.5:6380/3") == {
        "LOCK_STORE_HOST": "10.0.0.5",
        "LOCK_STORE_PORT": "6380",
        "LOCK_STORE_DB": "3",
        "LOCK_STORE_PASSWORD": "p@ss",
    }
    assert cluster.lock_store_parts("redis://locks.internal")["LOCK_STORE_PORT"] == "6379"
    assert cluster.lock_store_parts("redis://locks.internal")["LOCK_STORE_DB"] == "1"


@pytest.mark.parametrize("url", ["postgresql://x/1", "redis://", "redis://host/one"])
def test_a_lock_store_url_that_is_not_redis_is_refused_in_words(url):
    with pytest.raises(StackError, match="LOCK_STORE_URL"):
        cluster.lock_store_parts(url)


def test_node_ports_count_up_from_the_first_or_are_listed():
    env = {"RASA_NODE_PORT": "6101", "RASA_NODES": "3"}
    assert cluster.node_ports(env, "RASA_NODE_PORT", "RASA_NODES", "RASA_NODE_PORTS") == [
        "6101",
        "6102",
        "6103",
    ]
    listed = {**env, "RASA_NODE_PORTS": "7001, 7005"}
    assert cluster.node_ports(listed, "RASA_NODE_PORT", "RASA_NODES", "RASA_NODE_PORTS") == [
        "7001",
        "7005",
    ]


@pytest.mark.parametrize("count", ["0", "17", "three"])
def test_a_node_count_out_of_range_is_refused_in_words(count):
    with pytest.raises(StackError, match="RASA_NODES"):
        cluster.node_ports(
            {"RASA_NODE_PORT": "6101", "RASA_NODES": count},
            "RASA_NODE_PORT",
            "RASA_NODES",
            "RASA_NODE_PORTS",
        )


def test_servers_elsewhere_are_used_as_given_and_none_is_started(monkeypatch, tmp_path):
    monkeypatch.setenv("CLUSTER_DIR", str(tmp_path))
    monkeypatch.setenv("TRACKER_STORE_URL", "postgresql://rasa:pw@db.internal:5432/tracker")
    monkeypatch.setenv("LOCK_STORE_URL", "redis://:pw@locks.internal:6379/2")
    env = cluster.cluster_environment()
    assert env["OWN_POSTGRES"] == "" and env["OWN_REDIS"] == ""
    assert env["TRACKER_STORE_URL"] == "postgresql://rasa:pw@db.internal:5432/tracker"
    assert env["LOCK_STORE_HOST"] == "locks.internal" and env["LOCK_STORE_DB"] == "2"
    assert not (tmp_path / "postgres.password").exists()


def test_own_servers_listen_on_the_configured_ports_with_generated_passwords(monkeypatch, tmp_path):
    for name in ("TRACKER_STORE_URL", "LOCK_STORE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLUSTER_DIR", str(tmp_path))
    monkeypatch.setenv("POSTGRES_PORT", "15432")
    monkeypatch.setenv("REDIS_PORT", "16379")
    monkeypatch.setenv("RASA_PORT", "15005")
    env = cluster.cluster_environment()
    password = (tmp_path / "postgres.password").read_text()
    assert (tmp_path / "postgres.password").stat().st_mode & 0o077 == 0
    assert env["TRACKER_STORE_URL"].startswith("postgresql://msk:")
    assert env["TRACKER_STORE_URL"].endswith(f"@127.0.0.1:15432/{cluster.TRACKER_DATABASE}")
    assert password in env["TRACKER_STORE_URL"]
    assert env["LOCK_STORE_PORT"] == "16379" and len(env["LOCK_STORE_PASSWORD"]) >= 24
    assert env["RASA_URL"] == "http://127.0.0.1:15005"  # the gateway talks to the balancer
    again = cluster.cluster_environment()
    assert again["TRACKER_STORE_URL"] == env["TRACKER_STORE_URL"]  # the password is kept


def test_the_balancer_checks_every_node_and_resends_only_requests_that_never_reached_one():
    env = {
        "RASA_PORT": "15005",
        "ACTION_PORT": "15055",
        "BALANCER_STATS_PORT": "15006",
        "RASA_NODE_PORTS": "15101,15102,15103",
        "ACTION_NODE_PORTS": "15151,15152",
        "CLUSTER_BALANCE": "roundrobin",
    }
    config = cluster.haproxy_config(env)
    for number, port in enumerate(env["RASA_NODE_PORTS"].split(","), start=1):
        assert f"server rasa{number} 127.0.0.1:{port} check" in config
    for number, port in enumerate(env["ACTION_NODE_PORTS"].split(","), start=1):
        assert f"server action{number} 127.0.0.1:{port} check" in config
    assert "option httpchk GET /webhooks/rest/" in config
    assert "option httpchk GET /health" in config
    assert "option redispatch 1" in config  # a failed connection goes to the next node
    assert "retry-on" not in config  # never again once it reached a node: no turn repeated
    assert "option httpclose" in config  # no kept-open connection outlives a node
    for port in ("15005", "15055", "15006"):
        assert f"bind 127.0.0.1:{port}" in config


def test_rasa_reads_the_cluster_endpoints_from_the_environment(monkeypatch):
    values = {
        "ACTION_SERVER_URL": "http://127.0.0.1:15055",
        "ACTION_SERVER_TOKEN": "token-for-tests",
        "TRACKER_STORE_URL": "postgresql://msk:pw@127.0.0.1:15432/msk_tracker",
        "TRACKER_CACHE_SIZE": "0",
        "LOCK_STORE_HOST": "127.0.0.1",
        "LOCK_STORE_PORT": "16379",
        "LOCK_STORE_DB": "1",
        "LOCK_STORE_PASSWORD": "pw",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.cluster.yml"))
    assert endpoints.action.url == "http://127.0.0.1:15055/webhook"
    assert endpoints.tracker_store.type == "bot.tracker_cache.CachedSQLTrackerStore"
    assert endpoints.tracker_store.url == values["TRACKER_STORE_URL"]
    lock_store = LockStore.create(endpoints.lock_store)  # no connection is made yet
    assert isinstance(lock_store, AtomicRedisLockStore)
    connection = lock_store.red.connection_pool.connection_kwargs
    assert (connection["port"], connection["db"], connection["password"]) == (16379, 1, "pw")


def test_by_default_each_conversation_stays_on_one_node_while_it_is_up(monkeypatch, tmp_path):
    monkeypatch.setenv("CLUSTER_DIR", str(tmp_path))
    monkeypatch.delenv("CLUSTER_BALANCE", raising=False)
    env = cluster.cluster_environment()
    config = cluster.haproxy_config(env)
    assert "balance hdr(X-Conversation-Id)" in config and "hash-type consistent" in config
    monkeypatch.setenv("CLUSTER_BALANCE", "roundrobin")
    assert "balance roundrobin" in cluster.haproxy_config(cluster.cluster_environment())
    monkeypatch.setenv("CLUSTER_BALANCE", "random")
    with pytest.raises(StackError, match="CLUSTER_BALANCE"):
        cluster.cluster_environment()


def test_each_action_server_node_keeps_its_own_outbox_and_nothing_else_is_changed(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("CLUSTER_DIR", str(tmp_path))
    monkeypatch.setenv("OUTBOX_DB", str(tmp_path / "embedded-outbox.db"))
    env = cluster.cluster_environment()
    nodes = cluster.Cluster(env).nodes
    outboxes = [node.env["OUTBOX_DB"] for node in nodes if node.name.startswith("action")]
    assert outboxes == [str(tmp_path / "outbox-1.db"), str(tmp_path / "outbox-2.db")]
    assert env["OUTBOX_DB"] == str(tmp_path / "embedded-outbox.db")  # not a node's
    rasa_ports = [node.env[node.port_variable] for node in nodes if node.name.startswith("rasa")]
    assert rasa_ports == env["RASA_NODE_PORTS"].split(",")
