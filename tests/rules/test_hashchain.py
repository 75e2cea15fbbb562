"""Hash chain shared by the CTO ledger (C11) and the audit trail (zk_rules.hashchain)."""

import hashlib

from zk_rules.hashchain import canonical_json, entry_hash, first_broken


def chain(payloads):
    links, previous = [], ""
    for seq, payload in enumerate(payloads, start=1):
        digest = entry_hash(previous, payload)
        links.append((seq, previous, digest, payload))
        previous = digest
    return links


def test_link_is_versioned_sha256_of_previous_hash_and_canonical_json():
    payload = {"b": 1, "a": "é"}
    assert canonical_json(payload) == '{"a":"\\u00e9","b":1}'
    expected = hashlib.sha256(('v1$x' + canonical_json(payload)).encode()).hexdigest()
    assert entry_hash("v1$x", payload) == f"v1${expected}"


def test_intact_chain_has_no_broken_link():
    assert first_broken(chain([{"n": 1}, {"n": 2}, {"n": 3}])) is None


def test_edit_names_the_edited_entry():
    links = chain([{"n": 1}, {"n": 2}, {"n": 3}])
    seq, prev, digest, _payload = links[1]
    links[1] = (seq, prev, digest, {"n": 20})
    assert first_broken(links) == 2


def test_deleted_entry_breaks_the_sequence_there():
    links = chain([{"n": 1}, {"n": 2}, {"n": 3}])
    del links[1]
    assert first_broken(links) == 3
