from . import (
    test_activity,
    test_batch,
    test_cron_access,
    test_cto_joining,
    test_download_route,
    test_engine_inputs,
    test_portal_periods,
    test_reliability,
    test_tour_payroll_issue,
)
