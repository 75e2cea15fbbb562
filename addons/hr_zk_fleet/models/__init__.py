from . import (
    res_company,
    zk_device,
    zk_device_day,
    zk_device_event,
    zk_punch,
    zk_relay,
    zk_relay_status,
)
