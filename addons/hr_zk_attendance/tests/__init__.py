from . import common, test_attendance, test_punch_import, test_security
