from . import (
    test_fleet_alerts,
    test_fleet_overview,
    test_reconciliation_pull,
    test_status_push,
    test_tour_fleet_overview,
    test_tour_reconciliation,
)
