"""Topic administration through kafka-python's KafkaAdminClient.

CreateTopics creates a topic with the requested partitions (and refuses a
duplicate or a bad partition count), DeleteTopics removes it (and refuses an
unknown one), DescribeConfigs reports the configs we have, and created
topics outlive a restart.
"""

import time

import kafka.errors
import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

import kafka_wire as w
from clients import Record, consume_kcat, produce_kafka_python


@pytest.fixture
def admin_for():
    admins = []

    def make(broker):
        a = KafkaAdminClient(bootstrap_servers=broker.bootstrap,
                             request_timeout_ms=30000)
        admins.append(a)
        return a

    yield make
    for a in admins:
        a.close()


def topic_partitions(bootstrap):
    """{topic: partition count} from a Metadata request for all topics."""
    with w.Connection.to(bootstrap) as conn:
        md = conn.metadata(None, allow_auto_topic_creation=False)
    return {name: len(t["partitions"]) for name, t in md["topics"].items()
            if t["error"] == w.NONE}


def wait_until(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
    return True


def test_create_topics_with_requested_partitions(broker, admin_for):
    admin = admin_for(broker)
    admin.create_topics([NewTopic("adm-a", 3, 1), NewTopic("adm-b", 1, 1)],
                        timeout_ms=10000)
    assert wait_until(lambda: {"adm-a": 3, "adm-b": 1}.items()
                      <= topic_partitions(broker.bootstrap).items())
    assert {"adm-a", "adm-b"} <= set(admin.list_topics())
    # Every partition of the new topic takes records.
    for partition in range(3):
        rec = [Record(b"p%d" % partition, b"v", [])]
        assert produce_kafka_python(broker.bootstrap, "adm-a", rec,
                                    partition=partition) == [0]


def test_create_existing_topic_fails_with_topic_already_exists(broker,
                                                               admin_for):
    admin = admin_for(broker)
    admin.create_topics([NewTopic("adm-dup", 2, 1)], timeout_ms=10000)
    with pytest.raises(kafka.errors.TopicAlreadyExistsError):
        admin.create_topics([NewTopic("adm-dup", 2, 1)], timeout_ms=10000)
    assert topic_partitions(broker.bootstrap).get("adm-dup") == 2


@pytest.mark.parametrize("partitions", [0, -3])
def test_create_topic_with_bad_partition_count_fails(broker, admin_for,
                                                     partitions):
    admin = admin_for(broker)
    with pytest.raises(kafka.errors.InvalidPartitionsError):
        admin.create_topics([NewTopic("adm-bad", partitions, 1)],
                            timeout_ms=10000)
    assert "adm-bad" not in topic_partitions(broker.bootstrap)


def test_delete_topics_removes_topic_and_its_records(broker, admin_for):
    admin = admin_for(broker)
    produce_kafka_python(broker.bootstrap, "adm-del",
                         [Record(b"k", b"old", [])])
    admin.delete_topics(["adm-del"], timeout_ms=10000)
    assert wait_until(
        lambda: "adm-del" not in topic_partitions(broker.bootstrap))
    with pytest.raises(kafka.errors.UnknownTopicOrPartitionError):
        admin.delete_topics(["adm-del"], timeout_ms=10000)
    # Recreated under the same name, the topic starts empty at offset 0.
    assert produce_kafka_python(broker.bootstrap, "adm-del",
                                [Record(b"k", b"new", [])]) == [0]
    got = consume_kcat(broker.bootstrap, "adm-del")
    assert [r.content() for r in got] == [(b"k", b"new", [])]


def test_describe_configs_reports_topic_and_broker_configs(start_broker,
                                                           admin_for):
    broker = start_broker("--override", "message.max.bytes=200000")
    admin = admin_for(broker)
    admin.create_topics([NewTopic("adm-cfg", 1, 1)], timeout_ms=10000)
    [resp] = admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, "adm-cfg")])
    [(error, _msg, rtype, name, entries)] = resp.resources
    assert (error, name) == (0, "adm-cfg")
    topic_cfg = {e[0]: e[1] for e in entries}
    assert topic_cfg, "no configs for the topic"

    with w.Connection.to(broker.bootstrap) as conn:
        node = conn.metadata(None)["brokers"][0]["node_id"]
    [resp] = admin.describe_configs(
        [ConfigResource(ConfigResourceType.BROKER, str(node))])
    [(error, _msg, rtype, name, entries)] = resp.resources
    assert error == 0
    broker_cfg = {e[0]: e[1] for e in entries}
    assert broker_cfg.get("message.max.bytes") == "200000", broker_cfg


def test_created_and_deleted_topics_survive_restart(broker, admin_for):
    admin = admin_for(broker)
    admin.create_topics([NewTopic("adm-keep", 4, 1), NewTopic("adm-drop", 1, 1)],
                        timeout_ms=10000)
    admin.delete_topics(["adm-drop"], timeout_ms=10000)
    assert wait_until(lambda: "adm-drop" not in topic_partitions(
        broker.bootstrap))
    admin.close()
    broker.restart()
    topics = topic_partitions(broker.bootstrap)
    assert topics.get("adm-keep") == 4, topics
    assert "adm-drop" not in topics, topics


def test_create_partitions_grows_a_topic_and_keeps_its_records(broker, admin_for):
    from kafka.admin import NewPartitions
    admin = admin_for(broker)
    admin.create_topics([NewTopic("adm-grow", 2, 1)], timeout_ms=10000)
    assert produce_kafka_python(broker.bootstrap, "adm-grow",
                                [Record(b"k", b"before", [])], partition=1) == [0]
    admin.create_partitions({"adm-grow": NewPartitions(5)})
    assert wait_until(lambda: topic_partitions(broker.bootstrap).get("adm-grow") == 5)
    assert produce_kafka_python(broker.bootstrap, "adm-grow",
                                [Record(b"k", b"new", [])], partition=4) == [0]
    # The old partition kept its log: the next record lands after it.
    assert produce_kafka_python(broker.bootstrap, "adm-grow",
                                [Record(b"k", b"after", [])], partition=1) == [1]
    with pytest.raises(kafka.errors.InvalidPartitionsError):
        admin.create_partitions({"adm-grow": NewPartitions(3)})
    broker.restart()
    assert topic_partitions(broker.bootstrap).get("adm-grow") == 5
    assert [r.value for r in consume_kcat(broker.bootstrap, "adm-grow", partition=4)] == [b"new"]


def test_alter_configs_changes_topic_configs_durably(broker, admin_for):
    admin = admin_for(broker)
    admin.create_topics([NewTopic("adm-alter", 1, 1)], timeout_ms=10000)

    def retention(client=admin):
        [resp] = client.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "adm-alter")])
        return {e[0]: e[1] for e in resp.resources[0][4]}["retention.ms"]

    resp = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "adm-alter",
                                                 configs={"retention.ms": "123456"})])
    assert resp.resources[0][0] == 0
    assert retention() == "123456"
    resp = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "adm-alter",
                                                 configs={"retention.ms": "soon"})])
    assert resp.resources[0][0] == 40, "INVALID_CONFIG"
    assert retention() == "123456"
    broker.restart()
    assert retention(admin_for(broker)) == "123456"


def test_replica_assignments_naming_this_broker_are_honoured(broker, admin_for):
    from kafka.admin import NewPartitions
    admin = admin_for(broker)
    with w.Connection.to(broker.bootstrap) as conn:
        node = conn.metadata([])["brokers"][0]["node_id"]
    # Replicas given per partition instead of a count (-1, -1), with the
    # topic configs tools commonly set.
    admin.create_topics([NewTopic("adm-assigned", -1, -1,
                                  replica_assignments={1: [node], 0: [node]},
                                  topic_configs={"compression.type": "producer",
                                                 "delete.retention.ms": "900",
                                                 "min.insync.replicas": "1"})],
                        timeout_ms=10000)
    assert wait_until(lambda: topic_partitions(broker.bootstrap).get("adm-assigned") == 2)
    assert produce_kafka_python(broker.bootstrap, "adm-assigned",
                                [Record(b"k", b"v", [])], partition=1) == [0]

    # A count and an assignment together: kafka-python refuses to build
    # that, so it is set on the request afterwards.
    both = NewTopic("adm-both", -1, -1, replica_assignments={0: [node], 1: [node]})
    both.num_partitions, both.replication_factor = 2, 1
    refused = [
        (NewTopic("adm-elsewhere", -1, -1, replica_assignments={0: [node + 1]}),
         kafka.errors.InvalidReplicationAssignmentError),
        (NewTopic("adm-two", -1, -1, replica_assignments={0: [node, node + 1]}),
         kafka.errors.InvalidReplicationAssignmentError),
        (NewTopic("adm-gap", -1, -1, replica_assignments={0: [node], 2: [node]}),
         kafka.errors.InvalidReplicationAssignmentError),
        (both, kafka.errors.InvalidRequestError),
        (NewTopic("adm-lz4", 1, 1, topic_configs={"compression.type": "lz4"}),
         kafka.errors.InvalidConfigurationError),
        (NewTopic("adm-isr2", 1, 1, topic_configs={"min.insync.replicas": "2"}),
         kafka.errors.InvalidConfigurationError),
    ]
    for topic, error in refused:
        with pytest.raises(error):
            admin.create_topics([topic], timeout_ms=10000)
    assert not {"adm-elsewhere", "adm-two", "adm-gap", "adm-both", "adm-lz4", "adm-isr2"} & set(
        topic_partitions(broker.bootstrap))

    admin.create_partitions({"adm-assigned": NewPartitions(4, [[node], [node]])})
    assert wait_until(lambda: topic_partitions(broker.bootstrap).get("adm-assigned") == 4)
    for assignments in ([[node]], [[node], [node + 1]]):
        with pytest.raises(kafka.errors.InvalidReplicationAssignmentError):
            admin.create_partitions({"adm-assigned": NewPartitions(6, assignments)})
    assert topic_partitions(broker.bootstrap).get("adm-assigned") == 4
