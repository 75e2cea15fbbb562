"""The [recon] configuration keys (issue 17) are validated at start, naming the key."""

from __future__ import annotations

import pytest

from zk_relay.config import ConfigError, load_config


@pytest.mark.parametrize("window", ["01:00-05:00", "22:00-04:00", "00:00-24:00"])
def test_windows_accepted(window):
    assert load_config(env={"ZK_RELAY_RECON_WINDOW": window}).recon_window == window


@pytest.mark.parametrize("window", ["1-5", "01:00", "25:00-02:00", "03:00-03:00",
                                    "01:00-05:60", "24:00-05:00"])
def test_bad_windows_refused_with_the_key_and_origin(window):
    with pytest.raises(ConfigError, match="recon_window.*environment ZK_RELAY_RECON_WINDOW"):
        load_config(env={"ZK_RELAY_RECON_WINDOW": window})


def test_ranges_of_the_other_keys():
    with pytest.raises(ConfigError, match="recon_lookback_days"):
        load_config(env={"ZK_RELAY_RECON_LOOKBACK_DAYS": "0"})
    with pytest.raises(ConfigError, match="recon_concurrency"):
        load_config(env={"ZK_RELAY_RECON_CONCURRENCY": "0"})
    config = load_config(env={"ZK_RELAY_CLOCK_REPAIR_AFTER_SECONDS": "0"})
    assert config.clock_repair_after_seconds == 0  # never automatically
