from . import test_fleet_alerts
from . import test_fleet_overview
from . import test_tour_fleet_overview
