from . import (
    test_certificate,
    test_credit,
    test_joining,
    test_leave,
    test_ledger,
    test_operations,
    test_readable,
    test_report_pdf,
    test_tour_cto_certificate,
    test_tour_cto_not_credited,
)
