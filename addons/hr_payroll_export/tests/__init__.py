from . import test_batch, test_cron_access, test_engine_inputs
