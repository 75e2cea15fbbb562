from . import (
    test_activity,
    test_batch,
    test_check_background,
    test_cron_access,
    test_download_route,
    test_issue_resume,
    test_leave_columns,
    test_portal_periods,
    test_tour_payroll_issue,
)
