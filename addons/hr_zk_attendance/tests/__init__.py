from . import (
    common,
    test_attendance,
    test_direct_poll,
    test_punch_import,
    test_relay_end_to_end,
    test_security,
)
