"""Property: any change to any hashed field of an event changes its content hash."""

import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from lots.custody import GENESIS, canonical_content, chain_hash

BASE = {
    "lot_id": 7,
    "seq": 3,
    "stage": "drying",
    "occurred_on": datetime.date(2025, 10, 20),
    "place": "Raised beds",
    "state_in": "parchment",
    "state_out": "parchment",
    "weight_in_kg": Decimal("400.00"),
    "weight_out_kg": Decimal("330.00"),
    "separated": True,
    "notes": "",
    "corrects_id": None,
    "recorded_by_id": 11,
    "recorded_at": datetime.datetime(2026, 11, 28, 5, 0, tzinfo=datetime.UTC),
    "documents": [("ticket.pdf", "a" * 64)],
}

CHANGES = st.one_of(
    st.tuples(st.just("seq"), st.integers(min_value=1, max_value=10_000)),
    st.tuples(st.just("stage"), st.sampled_from(["harvest", "depulping", "milling", "packaging"])),
    st.tuples(st.just("place"), st.text(max_size=30)),
    st.tuples(st.just("notes"), st.text(max_size=60)),
    st.tuples(st.just("separated"), st.just(False)),
    st.tuples(st.just("weight_out_kg"), st.decimals(min_value=1, max_value=10_000, places=2)),
    st.tuples(st.just("occurred_on"), st.dates(min_value=datetime.date(2000, 1, 1))),
    st.tuples(st.just("corrects_id"), st.integers(min_value=1, max_value=10_000)),
    st.tuples(
        st.just("documents"),
        st.lists(st.tuples(st.text(max_size=10), st.text("0123456789abcdef", min_size=64, max_size=64)), max_size=3),
    ),
)


def digest(**fields):
    return chain_hash(GENESIS, canonical_content(**fields))


@given(CHANGES)
def test_any_change_of_a_hashed_field_changes_the_hash(change):
    name, value = change
    changed = {**BASE, name: value}
    if changed[name] == BASE[name]:
        return
    assert digest(**changed) != digest(**BASE)


@given(st.permutations([("a.pdf", "1" * 64), ("b.pdf", "2" * 64), ("c.jpg", "3" * 64)]))
def test_document_order_does_not_matter(documents):
    assert digest(**{**BASE, "documents": documents}) == digest(
        **{**BASE, "documents": [("a.pdf", "1" * 64), ("b.pdf", "2" * 64), ("c.jpg", "3" * 64)]}
    )


def test_weights_hash_the_same_however_they_are_written():
    assert digest(**{**BASE, "weight_in_kg": Decimal("400")}) == digest(**BASE)


def test_the_previous_hash_is_part_of_the_link():
    content = canonical_content(**BASE)
    assert chain_hash(GENESIS, content) != chain_hash("f" * 64, content)
