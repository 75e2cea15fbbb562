from . import (
    common,
    test_attendance,
    test_attendance_build,
    test_audit,
    test_daily_record,
    test_direct_poll,
    test_punch_import,
    test_relay_delivery,
    test_relay_end_to_end,
    test_security,
    test_timezone,
    test_tour_pin_mapping,
)
