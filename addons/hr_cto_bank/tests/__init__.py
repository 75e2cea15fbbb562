from . import test_credit, test_leave, test_ledger, test_operations, test_report_pdf
