from . import test_unconfirmed_days
