from . import zk_decision_wizard, zk_relay_enrol_wizard
