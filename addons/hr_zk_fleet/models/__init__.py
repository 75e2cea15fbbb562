from . import zz_contract_stub
from . import res_company_fleet
from . import res_config_settings_fleet
from . import zk_fleet_alert
from . import zk_device_fleet_alerts
from . import zk_relay_fleet_alerts
from . import zk_fleet_card
from . import mail_activity
