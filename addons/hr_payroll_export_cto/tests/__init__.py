from . import test_cto_joining, test_engine_inputs, test_reliability
