"""The subscription store on the real Elasticsearch: versions, conflicts, owners, bulk creation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch

from alerts.model import SubscriptionSpec
from alerts.store import SubscriptionNotFound, SubscriptionStore, VersionConflict
from alerts.validation import InvalidSubscription
from newsmon.core.settings import ElasticsearchSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def store(es_settings: ElasticsearchSettings) -> Iterator[SubscriptionStore]:
    es = Elasticsearch(**es_settings.client_kwargs())
    store = SubscriptionStore(es, f"{es_settings.index}-subs")
    store.setup(es_settings)
    yield store
    quiet = es.options(ignore_status=(400, 404))
    quiet.indices.delete(index=f"{store.index}*", expand_wildcards="all")
    quiet.indices.delete_index_template(name=store.index)
    es.close()


def test_versions_conflicts_and_owners(store: SubscriptionStore) -> None:
    sub = store.create(SubscriptionSpec(name="Viasna", query="entities:Viasna"), owner="ngo")
    assert store.versions() == {sub.id: 1}
    changed = store.replace(sub.id, sub.spec().model_copy(update={"mode": "daily"}), expected_version=1)
    assert changed.version == 2 and store.get(sub.id).mode == "daily"
    with pytest.raises(VersionConflict):
        store.replace(sub.id, sub.spec(), expected_version=1)
    with pytest.raises(SubscriptionNotFound):
        store.get(sub.id, owner="someone-else")
    with pytest.raises(SubscriptionNotFound):
        store.delete(sub.id, owner="someone-else")
    with pytest.raises(VersionConflict):
        store.create(SubscriptionSpec(name="again", query="x"), owner="ngo", sub_id=sub.id)
    with pytest.raises(InvalidSubscription):
        store.replace(sub.id, SubscriptionSpec(name="bad", query="a AND (b"))
    store.delete(sub.id, expected_version=2)
    assert store.versions() == {}


def test_create_many_in_one_request(store: SubscriptionStore) -> None:
    specs = [(SubscriptionSpec(name=f"s{n}", query=f"term{n}"), "bulk") for n in range(1500)]
    created = store.create_many(specs)
    assert len(created) == 1500 and len({s.id for s in created}) == 1500
    assert len(store.versions()) == 1500 and len(store.list(owner="bulk")) == 1500
    with pytest.raises(InvalidSubscription):
        store.create_many(
            [(SubscriptionSpec(name="ok", query="fine"), "o"), (SubscriptionSpec(name="b", query="(x"), "o")]
        )
    assert len(store.versions()) == 1500, "nothing written when one is invalid"
