from . import test_tour_unconfirmed_days, test_unconfirmed_days
