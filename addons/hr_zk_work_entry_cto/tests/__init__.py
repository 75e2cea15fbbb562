from . import test_cto_leave_entries
