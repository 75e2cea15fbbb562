from . import (
    common,
    test_attendance,
    test_punch_import,
    test_relay_end_to_end,
    test_security,
)
