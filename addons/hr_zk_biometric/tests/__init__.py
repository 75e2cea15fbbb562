from . import (
    test_biometric_access,
    test_biometric_end_to_end,
    test_biometric_erasure,
    test_biometric_push,
    test_biometric_push_relay,
    test_biometric_sub_templates,
    test_biometric_sync,
    test_tour,
)
