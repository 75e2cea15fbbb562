from . import common, test_punch_import, test_security
