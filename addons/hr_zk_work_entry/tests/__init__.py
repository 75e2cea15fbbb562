from . import test_tour_work_entries, test_work_entries
