from . import test_reconciliation_pull, test_status_push, test_tour_reconciliation
