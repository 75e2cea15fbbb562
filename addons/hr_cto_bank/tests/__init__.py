from . import (
    test_certificate,
    test_credit,
    test_leave,
    test_ledger,
    test_opening,
    test_operations,
    test_readable,
    test_report_pdf,
    test_time_off_balance,
    test_tour_cto_certificate,
    test_tour_time_off_balance,
)
