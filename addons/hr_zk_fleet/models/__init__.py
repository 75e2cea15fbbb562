# The mixin first: the terminal's and the relay's alert files inherit it.
from . import zk_fleet_alerted  # isort: skip
from . import (
    mail_activity,
    res_company,
    res_company_fleet,
    res_config_settings_fleet,
    zk_device,
    zk_device_day,
    zk_device_event,
    zk_device_fleet_alerts,
    zk_fleet_alert,
    zk_fleet_card,
    zk_punch,
    zk_relay,
    zk_relay_fleet_alerts,
    zk_relay_status,
)
