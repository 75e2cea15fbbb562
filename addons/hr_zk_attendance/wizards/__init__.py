from . import zk_decision_wizard
