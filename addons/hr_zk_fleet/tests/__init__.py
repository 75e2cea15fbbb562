from . import test_reconciliation_pull, test_status_push
