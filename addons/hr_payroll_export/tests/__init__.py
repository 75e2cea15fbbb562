from . import (
    test_batch,
    test_cron_access,
    test_download_route,
    test_engine_inputs,
    test_reliability,
)
