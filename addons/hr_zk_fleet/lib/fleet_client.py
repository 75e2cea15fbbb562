"""The relay's issue-17 API (relay/README.md, "Reconciliation, health and clock repair"),
on top of hr_zk_attendance's RelayClient (same token, errors and messages)."""

# The relay client's one transport method is shared on purpose: one place for the token,
# the timeouts and the readable errors.
# pylint: disable=protected-access


def reconciliation(client, after, limit):
    return client._request("GET", "/api/v1/reconciliation",
                           params={"after": after, "limit": limit})


def health_events(client, after, limit):
    return client._request("GET", "/api/v1/health/events",
                           params={"after": after, "limit": limit})


def health_terminals(client):
    return client._request("GET", "/api/v1/health/terminals")


def request_reconciliation(client, serial, first, last=None):
    body = {"serial": serial, "from": first}
    if last:
        body["to"] = last
    return client._request("POST", "/api/v1/reconciliation", json=body)


def repair_clock(client, serial):
    return client._request("POST", f"/api/v1/devices/{serial}/clock", json={})
